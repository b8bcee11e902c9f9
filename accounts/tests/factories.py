import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import User

PASSWORD = "correct-horse-battery"
# Hash once: Argon2 is deliberately slow, and most tests never log in with a password.
_PASSWORD_HASH = make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = _PASSWORD_HASH
    timezone = "Europe/Berlin"
    country = "DE"
    subdivision = "BY"


class HRFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    is_staff = True

    @factory.post_generation
    def hr_group(self, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name=settings.HR_GROUP_NAME)
            self.groups.add(group)


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Position"

    title = factory.Sequence(lambda n: f"Position {n}")
    description = "Does the work."
    salary = None
