from django.conf import settings
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=`, capped so that no client can ask for a whole table."""

    page_size_query_param = "page_size"
    max_page_size = settings.MAX_PAGE_SIZE
