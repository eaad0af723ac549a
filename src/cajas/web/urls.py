from django.contrib.auth import views as auth_views
from django.urls import path

from cajas.web import (
    account_views,
    correction_views,
    dashboard_views,
    document_views,
    followup_views,
    loan_views,
    meeting_views,
    member_views,
    shareout_views,
    views,
)

MEETING = "cajas/<int:caja_id>/meetings/<int:number>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", account_views.account_view, name="account"),
    path("accounts/password/", account_views.password_change_view, name="password_change"),
    path(
        "accounts/two-factor/setup/",
        account_views.second_factor_setup_view,
        name="second_factor_setup",
    ),
    path(
        "accounts/two-factor/verify/",
        account_views.second_factor_verify_view,
        name="second_factor_verify",
    ),
    path("cajas/<int:caja_id>/", views.caja_detail, name="caja"),
    path(
        "cajas/<int:caja_id>/meetings/open/", meeting_views.meeting_open_view, name="meeting_open"
    ),
    path(
        "cajas/<int:caja_id>/meetings/<int:number>/", meeting_views.meeting_detail, name="meeting"
    ),
    path(f"{MEETING}sheet/", meeting_views.sheet_save_view, name="meeting_sheet"),
    path(f"{MEETING}usual/", meeting_views.sheet_confirm_view, name="meeting_usual"),
    path(f"{MEETING}rows/<int:member>/", meeting_views.row_save_view, name="meeting_row"),
    path(f"{MEETING}items/", meeting_views.item_add_view, name="meeting_item_add"),
    path(
        f"{MEETING}items/<int:item_id>/amount/",
        meeting_views.item_amount_view,
        name="meeting_item_amount",
    ),
    path(
        f"{MEETING}items/<int:item_id>/remove/",
        meeting_views.item_remove_view,
        name="meeting_item_remove",
    ),
    path(
        f"{MEETING}loans/<int:loan_id>/disburse/",
        meeting_views.loan_disburse_view,
        name="meeting_disburse",
    ),
    path(
        f"{MEETING}loans/<int:loan_id>/repay/", meeting_views.loan_repay_view, name="meeting_repay"
    ),
    path(f"{MEETING}fines/<int:member>/pay/", meeting_views.fine_pay_view, name="meeting_fine_pay"),
    path(
        f"{MEETING}fines/<int:member>/waive/",
        meeting_views.fine_waive_view,
        name="meeting_fine_waive",
    ),
    path(f"{MEETING}exit/", meeting_views.member_exit_view, name="meeting_exit"),
    path(f"{MEETING}close/", meeting_views.meeting_close_view, name="meeting_close"),
    path("rate-caps/", loan_views.rate_caps_view, name="rate_caps"),
    path("program/", dashboard_views.dashboard_view, name="dashboard"),
    path("program/alerts/", followup_views.alerts_view, name="alerts"),
    path("cajas/<int:caja_id>/visits/", followup_views.visits_view, name="visits"),
    path("cajas/<int:caja_id>/survey/", followup_views.survey_view, name="survey"),
    path("cajas/<int:caja_id>/visits/<int:visit_id>/", followup_views.visit_view, name="visit"),
    path("cajas/<int:caja_id>/loans/", loan_views.loans_view, name="loans"),
    path("cajas/<int:caja_id>/passbook/", member_views.my_passbook_view, name="my_passbook"),
    path(
        "cajas/<int:caja_id>/members/<int:number>/passbook/",
        member_views.member_passbook_view,
        name="member_passbook",
    ),
    path(
        "cajas/<int:caja_id>/documents/<str:kind>/",
        document_views.document_view,
        name="document",
    ),
    path(
        "cajas/<int:caja_id>/export/<str:what>.<str:fmt>",
        document_views.export_view,
        name="export",
    ),
    path(
        "cajas/<int:caja_id>/credit-consent/",
        document_views.credit_consent_view,
        name="credit_consent",
    ),
    path("cajas/<int:caja_id>/shareout/", shareout_views.shareout_view, name="shareout"),
    path(
        "cajas/<int:caja_id>/shareout/<int:cycle>/",
        shareout_views.shareout_report_view,
        name="shareout_report",
    ),
    path("cajas/<int:caja_id>/loans/simulator/", loan_views.simulator_view, name="simulator"),
    path("cajas/<int:caja_id>/loans/apply/", loan_views.loan_apply_view, name="loan_apply"),
    path("cajas/<int:caja_id>/loans/<int:number>/", loan_views.loan_view, name="loan"),
    path(
        "cajas/<int:caja_id>/meetings/<int:number>/entries/",
        correction_views.meeting_entries_view,
        name="meeting_entries",
    ),
    path(
        "cajas/<int:caja_id>/meetings/<int:number>/entries/<int:seq>/correct/",
        correction_views.correction_propose_view,
        name="correction_propose",
    ),
    path("cajas/<int:caja_id>/corrections/", correction_views.corrections_view, name="corrections"),
    path(
        "cajas/<int:caja_id>/corrections/<int:number>/approve/",
        correction_views.correction_approve_view,
        name="correction_approve",
    ),
    path(
        "cajas/<int:caja_id>/corrections/<int:number>/reject/",
        correction_views.correction_reject_view,
        name="correction_reject",
    ),
]
