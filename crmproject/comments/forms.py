"""The comment form: one text, bounded; the mentions in it are checked by the services."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from crmproject.comments.services import MAX_BODY
from crmproject.forms import AppForm
from crmproject.i18n import lazy_gettext as _l


class CommentForm(AppForm):
    # a line break arrives as CR LF and counts one character, as the browser's maxlength counts it
    body = TextAreaField(_l("Comment"), filters=[lambda text: text.replace("\r\n", "\n") if text else text],
                         validators=[InputRequired(message=_l("Write the comment first.")),
                                     Length(max=MAX_BODY, message=_l("A comment cannot be longer than %(max)s characters."))],
                         description=_l("Mention someone with @ and their e-mail address, for example "
                                        "@anna.lee@example.com: they are told, if they may see this."))
