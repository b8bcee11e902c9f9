app_name = "timetracking"

urlpatterns = []
