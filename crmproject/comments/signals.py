"""Signals the comments send, so that a package above (the notifications) can act on them without the comments
importing it.

    comment_posted.send(comment)   # after the comment's transaction committed; comment.mentions are loaded
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent once a new comment (or an edit that adds mentions) is committed. The sender is the Comment; the keyword
# `mentioned` lists the users newly mentioned by this save (an edit does not mention again whoever it already did).
comment_posted = _signals.signal("comment-posted")
