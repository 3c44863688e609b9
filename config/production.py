from config.default import DefaultConfig


class ProductionConfig(DefaultConfig):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = "smtp"
    PREFERRED_URL_SCHEME = "https"
