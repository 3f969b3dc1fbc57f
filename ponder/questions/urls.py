from django.urls import path

from . import crowds, exports, image_views, moderation, sharing, survey_exports, surveys, views
from .stream import question_events, survey_events

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("q/<id:question_id>/", views.question_detail, name="question"),
    path("s/new/", surveys.survey_create, name="survey_create"),
    path("s/<id:survey_id>/", surveys.survey_detail, name="survey"),
    path(
        "s/<id:survey_id>/a/<key:admin_key>/", surveys.survey_admin_link, name="survey_admin_link"
    ),
    path("s/<id:survey_id>/join/", surveys.survey_join, name="survey_join"),
    path("s/<id:survey_id>/events", survey_events, name="survey_events"),
    path("s/<id:survey_id>/settings/", surveys.survey_settings, name="survey_settings"),
    path("s/<id:survey_id>/questions/", surveys.survey_question_add, name="survey_question_add"),
    path(
        "s/<id:survey_id>/questions/<id:question_id>/<change>/",
        surveys.survey_question_change,
        name="survey_question_change",
    ),
    path(
        "s/<id:survey_id>/q/<id:question_id>/ideas/",
        surveys.survey_idea_add,
        name="survey_idea_add",
    ),
    path("s/<id:survey_id>/export/results.json", survey_exports.json_export, name="survey_json"),
    path("s/<id:survey_id>/export/results.csv", survey_exports.csv_export, name="survey_csv"),
    path("s/<id:survey_id>/export/results.xlsx", survey_exports.xlsx_export, name="survey_xlsx"),
    path("q/<id:question_id>/qr.svg", sharing.qr_code, name="qr_code"),
    path("q/<id:question_id>/report/", exports.report, name="report"),
    path("q/<id:question_id>/export/<str:table>.csv", exports.csv_export, name="export_csv"),
    path("q/<id:question_id>/export/results.xlsx", exports.xlsx_export, name="export_xlsx"),
    path("q/<id:question_id>/export/results.json", exports.json_export, name="export_json"),
    path("embed/<id:question_id>/", sharing.embed, name="embed"),
    path("q/<id:question_id>/a/<key:admin_key>/", views.admin_link, name="admin_link"),
    path("q/<id:question_id>/join/", views.join, name="join"),
    path("q/<id:question_id>/name/", views.rename, name="rename"),
    path("q/<id:question_id>/forget/", views.forget, name="forget"),
    path("q/<id:question_id>/events", question_events, name="question_events"),
    path("q/<id:question_id>/settings/", views.question_settings, name="question_settings"),
    path("q/<id:question_id>/admin-link/", views.admin_key_replace, name="admin_key_replace"),
    path("q/<id:question_id>/close/", views.question_close, name="question_close"),
    path("q/<id:question_id>/reopen/", views.question_reopen, name="question_reopen"),
    path("q/<id:question_id>/crowds/", crowds.crowds, name="crowds"),
    path("q/<id:question_id>/crowds/remove/", crowds.crowd_remove, name="crowd_remove"),
    path("q/<id:question_id>/reports/", moderation.reports, name="reports"),
    path("q/<id:question_id>/merge/", moderation.idea_merge, name="idea_merge"),
    path("q/<id:question_id>/participants/", moderation.participants, name="participants"),
    path(
        "q/<id:question_id>/participants/<id:participant_id>/remove/",
        moderation.participant_remove,
        name="participant_remove",
    ),
    path("q/<id:question_id>/ideas/", views.idea_add, name="idea_add"),
    path("q/<id:question_id>/ideas/<id:idea_id>/", views.idea_detail, name="idea"),
    path(
        "q/<id:question_id>/ideas/<id:idea_id>/image/",
        image_views.idea_picture,
        name="idea_picture",
    ),
    path(
        "q/<id:question_id>/ideas/<id:idea_id>/image/remove/",
        image_views.idea_picture_remove,
        name="idea_picture_remove",
    ),
    path(
        "q/<id:question_id>/ideas/<id:idea_id>/images/<str:name>",
        image_views.picture_file,
        name="idea_picture_file",
    ),
    path("q/<id:question_id>/ideas/<id:idea_id>/vote/", views.vote, name="vote"),
    path("q/<id:question_id>/ideas/<id:idea_id>/unvote/", views.unvote, name="unvote"),
    path(
        "q/<id:question_id>/ideas/<id:idea_id>/arguments/", views.argument_add, name="argument_add"
    ),
    path("q/<id:question_id>/arguments/<id:argument_id>/like/", views.like, name="like"),
    path("q/<id:question_id>/arguments/<id:argument_id>/unlike/", views.unlike, name="unlike"),
    path("q/<id:question_id>/comments/", views.comment_add, name="comment_add"),
    path(
        "q/<id:question_id>/<kind:kind>/<id:entry_id>/edit/",
        views.entry_edit,
        name="entry_edit",
    ),
    path(
        "q/<id:question_id>/<kind:kind>/<id:entry_id>/delete/",
        views.entry_delete,
        name="entry_delete",
    ),
    path(
        "q/<id:question_id>/<kind:kind>/<id:entry_id>/hide/",
        moderation.entry_hide,
        name="entry_hide",
    ),
    path(
        "q/<id:question_id>/<kind:kind>/<id:entry_id>/restore/",
        moderation.entry_restore,
        name="entry_restore",
    ),
    path(
        "q/<id:question_id>/<kind:kind>/<id:entry_id>/report/",
        moderation.entry_report,
        name="entry_report",
    ),
    path(
        "q/<id:question_id>/<kind:kind>/<id:entry_id>/reports/dismiss/",
        moderation.reports_dismiss,
        name="reports_dismiss",
    ),
    path(
        "q/<id:question_id>/<kind:kind>/<id:entry_id>/reports/hide/",
        moderation.reported_hide,
        name="reported_hide",
    ),
]
