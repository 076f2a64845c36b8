"""The comment form: one text, bounded; the mentions in it are checked by the services."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from crmproject.comments.services import MAX_BODY
from crmproject.forms import AppForm
from crmproject.i18n import lazy_gettext as _l


class CommentForm(AppForm):
    body = TextAreaField(_l("Comment"), validators=[InputRequired(message=_l("Write the comment first.")),
                                                    Length(max=MAX_BODY)],
                         description=_l("Mention someone with @ and their e-mail address, for example "
                                        "@anna.lee@example.com: they are told, if they may see this."))
