from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("export/", views.export, name="export"),
    path("exports/<int:pk>/", views.export_job, name="export-job"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_job, name="import-job"),
    path("import/<int:pk>/run/", views.import_run, name="import-run"),
]
