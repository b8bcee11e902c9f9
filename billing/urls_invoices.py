from django.urls import path

from billing import views_invoices as views

app_name = "invoices"  # the invoice pages, under /invoices/

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/lines/", views.invoice_line_add, name="line-add"),
    path("<int:pk>/lines/<int:line_id>/", views.invoice_line_edit, name="line-edit"),
    path("<int:pk>/lines/<int:line_id>/delete/", views.invoice_line_delete, name="line-delete"),
    path("<int:pk>/settings/", views.invoice_settings, name="settings"),
    path("<int:pk>/issue/", views.invoice_issue, name="issue"),
    path("<int:pk>/cancel/", views.invoice_cancel, name="cancel"),
    path("<int:pk>/delete/", views.invoice_delete, name="delete"),
    path("<int:pk>/download/<str:file_format>/", views.invoice_download, name="download"),
]
