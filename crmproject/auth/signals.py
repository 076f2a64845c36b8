"""What happens at the door, told to whoever listens (the audit trail records each), so that the login pages
need not import the packages that keep the record.

Each is sent inside the request's transaction, before its commit, so what a receiver writes is saved with it:

    login_succeeded.send(user)                          # the password was right; the session starts
    login_failed.send(None, email=..., reason=...)     # what was typed as the address; "wrong", "throttled"
                                                        # or "current_password" (the password page)
    logged_out.send(user)                               # every session of the user ends
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

login_succeeded = _signals.signal("login-succeeded")
login_failed = _signals.signal("login-failed")
logged_out = _signals.signal("logged-out")
