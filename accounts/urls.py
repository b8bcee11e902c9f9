from django.urls import path

from accounts import views, views_passkeys, views_people, views_two_factor

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views_two_factor.two_factor_login, name="two_factor_login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views_two_factor.two_factor_settings, name="two_factor"),
    path("two-factor/setup/", views_two_factor.two_factor_setup, name="two_factor_setup"),
    path(
        "two-factor/passkeys/begin/", views_passkeys.PasskeyRegistrationBegin.as_view(), name="passkey_register_begin"
    ),
    path(
        "two-factor/passkeys/complete/",
        views_passkeys.PasskeyRegistrationComplete.as_view(),
        name="passkey_register_complete",
    ),
    path("two-factor/passkeys/<int:pk>/remove/", views_passkeys.passkey_remove, name="passkey_remove"),
    path("login/passkey/begin/", views_passkeys.PasskeyLoginBegin.as_view(), name="passkey_login_begin"),
    path("login/passkey/complete/", views_passkeys.PasskeyLoginComplete.as_view(), name="passkey_login_complete"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("preferences/", views.preferences, name="preferences"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invitation/<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    # HR's people pages (accounts/views_people.py)
    path("people/", views_people.people_list, name="people"),
    path("people/new/", views_people.person_create, name="person_create"),
    path("people/import/", views_people.people_import_page, name="people_import"),
    path("people/invite-all/", views_people.people_invite_all, name="people_invite_all"),
    path("people/<int:pk>/", views_people.person_detail, name="person"),
    path("people/<int:pk>/invite/", views_people.person_invite, name="person_invite"),
    path("people/<int:pk>/revoke-invitation/", views_people.person_revoke_invitation, name="person_revoke_invitation"),
    path("people/<int:pk>/deactivate/", views_people.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/two-factor-reset/", views_people.person_two_factor_reset, name="person_two_factor_reset"),
    path("people/<int:pk>/reactivate/", views_people.person_reactivate, name="person_reactivate"),
]
