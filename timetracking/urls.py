from django.urls import path

from timetracking import views

app_name = "timetracking"

urlpatterns = [
    path("time/", views.week, name="week"),
    path("time/entries/new/", views.entry_create, name="entry-create"),
    path("time/entries/<int:pk>/edit/", views.entry_edit, name="entry-edit"),
    path("time/entries/<int:pk>/delete/", views.entry_delete, name="entry-delete"),
    path("time/entries/restore/", views.entry_restore, name="entry-restore"),
    path("time/grid/cell/", views.grid_cell, name="grid-cell"),
    path("time/rows/add/", views.row_add, name="row-add"),
    path("time/copy-last-week/", views.copy_last_week, name="copy-last-week"),
    path("time/rows/remove/", views.row_remove, name="row-remove"),
    path("time/timer/", views.timer_panel, name="timer"),
    path("time/timer/start/", views.timer_start, name="timer-start"),
    path("time/timer/stop/", views.timer_stop, name="timer-stop"),
    path("time/timer/discard/", views.timer_discard_view, name="timer-discard"),
    path("time/timer/continue/<int:pk>/", views.timer_continue_view, name="timer-continue"),
    path("time/timer/bar/", views.timer_bar, name="timer-bar"),
    path("time/timer/state/", views.timer_state, name="timer-state"),
    path("time/timer/suggestions/", views.timer_suggestions, name="timer-suggestions"),
    path("time/team/", views.team, name="team"),
    path("time/periods/submit/", views.period_submit, name="period-submit"),
    path("time/periods/<int:pk>/approve/", views.period_approve, name="period-approve"),
    path("time/periods/<int:pk>/reject/", views.period_reject, name="period-reject"),
    path("time/periods/<int:pk>/reopen/", views.period_reopen, name="period-reopen"),
]
