"""The `production` group: its members (and HR) write production data."""

from django.db import migrations

GROUP_NAME = "production"  # sprockets.models.PRODUCTION_GROUP_NAME, frozen here
MODELS = {
    "location": "location",
    "sprockettype": "sprocket type",
    "factory": "factory",
    "sprocket": "sprocket",
    "productionchartpoint": "production chart point",
}


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    # Admin permissions for the group's staff members. On a fresh database the permissions do
    # not exist yet (post_migrate creates them), so create them here the way Django would.
    for model, verbose_name in MODELS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="sprockets", model=model)
        actions = ["view"] if model == "productionchartpoint" else ["view", "add", "change", "delete"]
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {verbose_name}"},
            )
            group.permissions.add(permission)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sprockets", "0002_seed_locations_and_sprocket_types"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
