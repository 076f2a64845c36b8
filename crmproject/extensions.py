"""Flask extensions, created here and bound to the app in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from crmproject.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Per client address; the address is the one the nearest trusted proxy saw (TRUSTED_PROXIES, ProxyFix).
limiter = Limiter(key_func=get_remote_address)
