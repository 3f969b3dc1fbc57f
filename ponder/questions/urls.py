from django.urls import path

from . import crowds, exports, sharing, views
from .stream import question_events

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("q/<id:question_id>/", views.question_detail, name="question"),
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
    path("q/<id:question_id>/duplicate/", views.question_duplicate, name="question_duplicate"),
    path("q/<id:question_id>/delete/", views.question_delete, name="question_delete"),
    path("q/<id:question_id>/admin-link/", views.admin_key_replace, name="admin_key_replace"),
    path("q/<id:question_id>/close/", views.question_close, name="question_close"),
    path("q/<id:question_id>/reopen/", views.question_reopen, name="question_reopen"),
    path("q/<id:question_id>/crowds/", crowds.crowds, name="crowds"),
    path("q/<id:question_id>/crowds/remove/", crowds.crowd_remove, name="crowd_remove"),
    path("q/<id:question_id>/ideas/", views.idea_add, name="idea_add"),
    path("q/<id:question_id>/ideas/<id:idea_id>/", views.idea_detail, name="idea"),
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
]
