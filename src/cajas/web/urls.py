from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from cajas.core.parsing import InputInvalid, parse_id
from cajas.web import (
    account_views,
    api_token_views,
    correction_views,
    dashboard_views,
    document_views,
    export_views,
    followup_views,
    forms,
    import_views,
    loan_views,
    meeting_views,
    member_views,
    offline_views,
    privacy_views,
    shareout_views,
    views,
)


class IdConverter:
    """``<id:…>``: an id or number in the address, 1 … 2⁶³−1 in ASCII digits; anything else
    does not match (404), so a huge number never reaches the database."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        try:
            return parse_id(value, field="id")
        except InputInvalid:
            raise ValueError(value) from None

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

MEETING = "cajas/<id:caja_id>/meetings/<id:number>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("sw.js", offline_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline_views.manifest, name="manifest"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=forms.LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", account_views.account_view, name="account"),
    path("accounts/password/", account_views.password_change_view, name="password_change"),
    path("accounts/api-tokens/", api_token_views.api_tokens_view, name="api_tokens"),
    path(
        "accounts/api-tokens/new/", api_token_views.api_token_create_view, name="api_token_create"
    ),
    path(
        "accounts/api-tokens/<id:token_id>/revoke/",
        api_token_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
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
    path("cajas/<id:caja_id>/", views.caja_detail, name="caja"),
    path("cajas/<id:caja_id>/meetings/open/", meeting_views.meeting_open_view, name="meeting_open"),
    path("cajas/<id:caja_id>/meetings/<id:number>/", meeting_views.meeting_detail, name="meeting"),
    path(f"{MEETING}receipts/", meeting_views.meeting_receipts_view, name="meeting_receipts"),
    path(f"{MEETING}sheet/", meeting_views.sheet_save_view, name="meeting_sheet"),
    path(f"{MEETING}fragments/", meeting_views.meeting_fragments_view, name="meeting_fragments"),
    path(f"{MEETING}usual/", meeting_views.sheet_confirm_view, name="meeting_usual"),
    path(f"{MEETING}rows/<id:member>/", meeting_views.row_save_view, name="meeting_row"),
    path(f"{MEETING}items/", meeting_views.item_add_view, name="meeting_item_add"),
    path(
        f"{MEETING}items/<id:item_id>/amount/",
        meeting_views.item_amount_view,
        name="meeting_item_amount",
    ),
    path(
        f"{MEETING}items/<id:item_id>/remove/",
        meeting_views.item_remove_view,
        name="meeting_item_remove",
    ),
    path(
        f"{MEETING}loans/<id:loan_id>/disburse/",
        meeting_views.loan_disburse_view,
        name="meeting_disburse",
    ),
    path(
        f"{MEETING}loans/<id:loan_id>/repay/", meeting_views.loan_repay_view, name="meeting_repay"
    ),
    path(f"{MEETING}fines/<id:member>/pay/", meeting_views.fine_pay_view, name="meeting_fine_pay"),
    path(
        f"{MEETING}fines/<id:member>/waive/",
        meeting_views.fine_waive_view,
        name="meeting_fine_waive",
    ),
    path(f"{MEETING}exit/", meeting_views.member_exit_view, name="meeting_exit"),
    path(f"{MEETING}close/", meeting_views.meeting_close_view, name="meeting_close"),
    path("rate-caps/", loan_views.rate_caps_view, name="rate_caps"),
    path("program/", dashboard_views.dashboard_view, name="dashboard"),
    path("program/alerts/", followup_views.alerts_view, name="alerts"),
    path("program/exports/", export_views.export_start_view, name="program_export_start"),
    path(
        "program/exports/<uuid:export_id>/",
        export_views.export_status_view,
        name="program_export",
    ),
    path(
        "program/exports/<uuid:export_id>/file/",
        export_views.export_file_view,
        name="program_export_file",
    ),
    path("cajas/<id:caja_id>/visits/", followup_views.visits_view, name="visits"),
    path("cajas/<id:caja_id>/survey/", followup_views.survey_view, name="survey"),
    path("cajas/<id:caja_id>/visits/<id:visit_id>/", followup_views.visit_view, name="visit"),
    path("cajas/<id:caja_id>/loans/", loan_views.loans_view, name="loans"),
    path("cajas/<id:caja_id>/passbook/", member_views.my_passbook_view, name="my_passbook"),
    path("cajas/<id:caja_id>/members/import/", import_views.import_page_view, name="member_import"),
    path(
        "cajas/<id:caja_id>/members/import/template.xlsx",
        import_views.import_template_view,
        name="member_import_template",
    ),
    path(
        "cajas/<id:caja_id>/members/import/upload/",
        import_views.import_upload_view,
        name="member_import_upload",
    ),
    path(
        "cajas/<id:caja_id>/members/import/<id:import_id>/",
        import_views.import_preview_view,
        name="member_import_preview",
    ),
    path(
        "cajas/<id:caja_id>/members/import/<id:import_id>/step/",
        import_views.import_step_view,
        name="member_import_step",
    ),
    path(
        "cajas/<id:caja_id>/members/import/<id:import_id>/confirm/",
        import_views.import_confirm_view,
        name="member_import_confirm",
    ),
    path(
        "cajas/<id:caja_id>/members/<id:number>/passbook/",
        member_views.member_passbook_view,
        name="member_passbook",
    ),
    path(
        "cajas/<id:caja_id>/documents/<str:kind>/",
        document_views.document_view,
        name="document",
    ),
    path(
        "cajas/<id:caja_id>/export/<str:what>.<str:fmt>",
        document_views.export_view,
        name="export",
    ),
    path("cajas/<id:caja_id>/shareout/", shareout_views.shareout_view, name="shareout"),
    path(
        "cajas/<id:caja_id>/shareout/<id:cycle>/",
        shareout_views.shareout_report_view,
        name="shareout_report",
    ),
    path("cajas/<id:caja_id>/loans/simulator/", loan_views.simulator_view, name="simulator"),
    path("cajas/<id:caja_id>/loans/apply/", loan_views.loan_apply_view, name="loan_apply"),
    path("cajas/<id:caja_id>/loans/<id:number>/", loan_views.loan_view, name="loan"),
    path(
        "cajas/<id:caja_id>/meetings/<id:number>/entries/",
        correction_views.meeting_entries_view,
        name="meeting_entries",
    ),
    path(
        "cajas/<id:caja_id>/meetings/<id:number>/entries/<id:seq>/correct/",
        correction_views.correction_propose_view,
        name="correction_propose",
    ),
    path("cajas/<id:caja_id>/corrections/", correction_views.corrections_view, name="corrections"),
    path(
        "cajas/<id:caja_id>/corrections/<id:number>/approve/",
        correction_views.correction_approve_view,
        name="correction_approve",
    ),
    path(
        "cajas/<id:caja_id>/corrections/<id:number>/reject/",
        correction_views.correction_reject_view,
        name="correction_reject",
    ),
    # Consents, personal data on request and the access log (LOPDP).
    path(
        "cajas/<id:caja_id>/members/<id:number>/consents/<str:purpose>/give/",
        member_views.consent_give_view,
        name="consent_give",
    ),
    path(
        "cajas/<id:caja_id>/members/<id:number>/consents/<str:purpose>/withdraw/",
        member_views.consent_withdraw_view,
        name="consent_withdraw",
    ),
    path("cajas/<id:caja_id>/my-data.<str:fmt>", privacy_views.my_data_view, name="my_data"),
    path(
        "program/people/<str:code>/data.<str:fmt>",
        privacy_views.person_export_view,
        name="person_export",
    ),
    path("program/access-log/", privacy_views.access_log_view, name="access_log"),
]
