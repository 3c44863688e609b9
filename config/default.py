"""Settings shared by every environment. Each can be overridden by a CONFERENCE_* variable (see config/__init__.py)."""

from __future__ import annotations

from datetime import timedelta


class DefaultConfig:
    ENV_NAME = "default"
    SECRET_KEY: str | None = None
    # None means the embedded SQLite file instance/conference.db (resolved in create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # A database that does not answer must not hang requests: connect and statement timeouts, TCP keepalives
    # (PostgreSQL), and a busy timeout (SQLite). Pages answer 503 with Retry-After meanwhile and recover by
    # themselves (pool_pre_ping replaces dead connections).
    DATABASE_CONNECT_TIMEOUT = 5
    DATABASE_STATEMENT_TIMEOUT_MS = 30_000
    DATABASE_KEEPALIVES_IDLE = 30
    RETRY_AFTER_SECONDS = 30

    CONFERENCE_TIMEZONE = "Europe/Stockholm"
    CONFERENCE_BASE_URL = "http://127.0.0.1:5000"
    CONFERENCE_UNIT_NAME = "Limb deformity unit"

    BABEL_DEFAULT_LOCALE = "sv"
    LANGUAGES = {"sv": "Svenska", "en": "English"}

    # Sessions and cookies: patient data, so short-lived and never readable by scripts.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)
    WTF_CSRF_TIME_LIMIT = 10 * 3600

    # Sign-in throttling: after this many failures on an account inside the window only a browser where it signed
    # in before may try; after this many from one client address, that address waits (hospital NATs share one).
    LOGIN_MAX_FAILURES = 5
    # A browser where the account signed in before may try more often, but not without end (a stolen laptop).
    LOGIN_MAX_FAILURES_KNOWN_DEVICE = 20
    LOGIN_MAX_FAILURES_PER_ADDRESS = 50
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    KNOWN_DEVICE_DAYS = 180
    PASSWORD_MIN_LENGTH = 10
    # zxcvbn's score (0-4) a new password must reach; 3 means about 10^8 guesses ("safely unguessable").
    PASSWORD_MIN_STRENGTH = 3
    # The demo accounts' password (printed in the README) is refused everywhere but development and testing.
    DEMO_PASSWORD_ALLOWED = False

    # Requests: bodies larger than this answer 413 before they are read (image uploads raise it in configuration);
    # forms: at most this much in memory for non-file fields, and this many parts.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 500 * 1024
    MAX_FORM_PARTS = 1000
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host to trust (werkzeug ProxyFix): 0 means
    # the app is reached directly and the client address is the socket's. Set it to the number of proxies
    # (usually 1), never more: a client could otherwise choose its own address and escape the sign-in throttle.
    TRUSTED_PROXIES = 0

    # Single sign-on with the hospital's OpenID Connect provider (README: "Sign-in with the hospital's identity
    # provider"). Empty OIDC_ISSUER: local passwords only. Users are matched by the email in OIDC_EMAIL_CLAIM;
    # with OIDC_ROLE_CLAIM set, the provider decides the role (values mapped by OIDC_ROLE_MAP) and someone whose
    # claim maps to no role is refused; unset, the local role stands. OIDC_SPECIALTY_CLAIM likewise (values are
    # the specialty names of people.models.Specialty).
    OIDC_ISSUER: str | None = None
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: str | None = None
    OIDC_SCOPES = "openid email profile"
    OIDC_EMAIL_CLAIM = "email"
    OIDC_ROLE_CLAIM: str | None = None
    OIDC_ROLE_MAP = {"mdt-admin": "admin", "mdt-coordinator": "coordinator", "mdt-specialist": "specialist"}
    OIDC_SPECIALTY_CLAIM: str | None = None
    OIDC_BUTTON_LABEL: str | None = None  # None: "Sign in with the hospital account", translated
    # False: only the identity provider signs people in (the password form is gone and refused).
    LOCAL_PASSWORD_LOGIN = True

    # Password hashing (argon2id): OWASP's minimum (19 MiB, 2 passes, 1 lane) keeps a sign-in near 30 ms and a
    # worker's memory small; raise both in configuration on stronger servers. Testing lowers the cost further.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19456
    ARGON2_PARALLELISM = 1

    # Mail
    MAIL_BACKEND = "file"  # file | smtp
    MAIL_SENDER = "MDT-konferens <mdt-konferens@example-hospital.se>"
    MAIL_ALLOWED_DOMAINS = ["example-hospital.se"]
    MAIL_FILE_DIRECTORY: str | None = None  # file backend: None means instance/mail
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    SMTP_SSL = False
    SMTP_TIMEOUT = 20
    # The outbox: a refused message is tried again with backoff (base x 2^n, at most the max) up to the attempts,
    # which spreads over about nine hours; an unreachable relay counts no attempt (mail waits out any outage).
    OUTBOX_MAX_ATTEMPTS = 14
    OUTBOX_RETRY_BASE_SECONDS = 60
    OUTBOX_RETRY_MAX_SECONDS = 3600
    OUTBOX_OUTAGE_RETRY_SECONDS = 60
    OUTBOX_BATCH_SIZE = 500
    OUTBOX_BATCH_SECONDS = 120  # a batch stops after this long (well inside the lease)
    OUTBOX_LEASE_SECONDS = 600  # a claim not renewed this long belongs to a dispatcher that died
    # A relay's 250 and claims given back are written again (with backoff) for this long while the database does
    # not answer, so a blip neither sends an email twice nor holds the batch for the lease.
    OUTBOX_DATABASE_RETRY_SECONDS = 60
    # An unreachable relay is a WARNING at first (mail waits); one ERROR when the outage has lasted this long.
    OUTBOX_RELAY_OUTAGE_ERROR_MINUTES = 30

    # Images and documents of a case (conference/imaging). Files live outside the database in a content-addressed
    # folder (None: instance/images); uploads past the size limit get 413, pictures past the pixel limit (Pillow's
    # decompression-bomb limit) are refused. The viewer gets a screen-sized rendering and zoom tiles.
    IMAGE_STORE: str | None = None
    IMAGE_MAX_UPLOAD_BYTES = 300 * 1024 * 1024
    IMAGE_MAX_PIXELS = 89_478_485  # PIL.Image.MAX_IMAGE_PIXELS
    IMAGE_SCREEN_SIZE = 2048
    IMAGE_TILE_SIZE = 512
    # The hospital's PACS over DICOMweb (QIDO-RS search, WADO-RS import). No URL: uploads only.
    PACS_DICOMWEB_URL: str | None = None
    PACS_USERNAME: str | None = None
    PACS_PASSWORD: str | None = None
    PACS_TIMEOUT = 30
    PACS_MAX_INSTANCES = 20  # a series larger than this is not imported whole

    # Conferences: occurrences of a series exist this far ahead (the scheduler extends them daily).
    SERIES_HORIZON_DAYS = 182
    DEFAULT_CAPACITY = 12
    DEFAULT_CASE_DEADLINE_HOURS = 48

    # Scheduler sweeps (seconds) and reminder timing
    SCHEDULER_OUTBOX_INTERVAL = 30
    SCHEDULER_REMINDER_INTERVAL = 300
    REMINDER_DEADLINE_HOURS_BEFORE = 24  # coordinator reminder this long before the case deadline
    REMINDER_DAY_BEFORE_HOURS = 24

    # Cases: the proforma fields that must be filled before a case is "ready".
    CASE_REQUIRED_FIELDS = [
        "question",
        "clinical_summary",
        "diagnosis",
        "side",
        "patient_wishes",
        "measurement",
    ]
    # Growth prediction (DOMAIN.md; sources disagree, so every constant is the unit's to set).
    # Treatment bands for the predicted discrepancy at maturity, shown as information, never as a decision:
    # below the first: no treatment or insole; up to the second: epiphysiodesis window; above: lengthening.
    LLD_BAND_INSOLE_BELOW_MM = 20.0
    LLD_BAND_LENGTHENING_ABOVE_MM = 50.0
    # Share of a bone's remaining growth from the physis closed (Paley: distal femur 0.71, proximal tibia 0.57).
    EPIPHYSIODESIS_FEMUR_SHARE = 0.71
    EPIPHYSIODESIS_TIBIA_SHARE = 0.57
    # White-Menelaus cross-check: mm a year until growth stops at a chronological age.
    WHITE_MENELAUS_FEMUR_MM_PER_YEAR = 10.0
    WHITE_MENELAUS_TIBIA_MM_PER_YEAR = 6.0
    WHITE_MENELAUS_STOP_AGE_MALE = 16.0
    WHITE_MENELAUS_STOP_AGE_FEMALE = 14.0
    # Warn when the two methods' dates for the same operation lie further apart than this.
    EPIPHYSIODESIS_METHODS_DISAGREE_YEARS = 1.0
    # Normal ranges of the values measured on a standing long-leg radiograph, over Paley's (imaging/geometry.py
    # DEFAULT_RANGES, DOMAIN.md), e.g. {"mpta_deg": {"low": 85, "high": 90, "source": "Unit protocol 2026"}}.
    RADIOGRAPH_NORMAL_RANGES: dict = {}

    # Distraction defaults by device x bone x child/adult (DOMAIN.md), used where the plan leaves them empty.
    # latency (days after surgery), rate (mm/day), healing index (days per cm of lengthening, counted from surgery),
    # and which published index the number is. Published values differ: each unit sets its own.
    REHAB_DEFAULTS = {
        # Magnetic (PRECICE) nail, femur, adults: healing index 31.3 days/cm (Bone Joint J 2016;98-B:1382-8).
        "magnetic_nail:femur:adult": {"latency_days": 7, "rate": 1.0, "healing_index": 31.3, "index": "healing"},
        "magnetic_nail:femur:child": {"latency_days": 5, "rate": 1.0, "healing_index": 31.3, "index": "healing"},
        # Tibia with a nail: 0.75 mm/day (Paley Institute); consolidation 1.5-2.5 months/cm for a motorised
        # nail (J Limb Lengthen Reconstr 2020;6:13): 2 months/cm = 61 days/cm.
        "magnetic_nail:tibia:adult": {"latency_days": 7, "rate": 0.75, "healing_index": 61.0, "index": "consolidation"},
        "magnetic_nail:tibia:child": {"latency_days": 5, "rate": 0.75, "healing_index": 61.0, "index": "consolidation"},
        # Motorised nail, femur: consolidation index 1.2 months/cm = 36.5 days/cm (Acta Orthop 2019;90:81).
        "motorised_nail:femur:adult": {"latency_days": 7, "rate": 1.0, "healing_index": 36.5, "index": "consolidation"},
        "motorised_nail:femur:child": {"latency_days": 5, "rate": 1.0, "healing_index": 36.5, "index": "consolidation"},
        "motorised_nail:tibia:adult": {
            "latency_days": 7,
            "rate": 0.75,
            "healing_index": 61.0,
            "index": "consolidation",
        },
        "motorised_nail:tibia:child": {
            "latency_days": 5,
            "rate": 0.75,
            "healing_index": 61.0,
            "index": "consolidation",
        },
        # Monolateral (monorail) frame, femur, adults: 47.1 days/cm (Bone Joint J 2016;98-B:1382-8).
        "monolateral_frame:femur:adult": {
            "latency_days": 7,
            "rate": 1.0,
            "healing_index": 47.1,
            "index": "external fixation",
        },
        "monolateral_frame:femur:child": {
            "latency_days": 5,
            "rate": 1.0,
            "healing_index": 47.1,
            "index": "external fixation",
        },
        "monolateral_frame:tibia:adult": {
            "latency_days": 7,
            "rate": 1.0,
            "healing_index": 55.0,
            "index": "external fixation",
        },
        "monolateral_frame:tibia:child": {
            "latency_days": 5,
            "rate": 1.0,
            "healing_index": 55.0,
            "index": "external fixation",
        },
        # Circular frame, children: femur 57, tibia 55 days/cm (Children 2023;10:1586); adults: the same figures.
        "circular_frame:femur:child": {
            "latency_days": 5,
            "rate": 1.0,
            "healing_index": 57.0,
            "index": "external fixation",
        },
        "circular_frame:tibia:child": {
            "latency_days": 5,
            "rate": 1.0,
            "healing_index": 55.0,
            "index": "external fixation",
        },
        "circular_frame:femur:adult": {
            "latency_days": 7,
            "rate": 1.0,
            "healing_index": 57.0,
            "index": "external fixation",
        },
        "circular_frame:tibia:adult": {
            "latency_days": 7,
            "rate": 1.0,
            "healing_index": 55.0,
            "index": "external fixation",
        },
    }
    REHAB_ADULT_FROM_AGE = 18  # child/adult for the defaults, by age at surgery
    # Follow-up flags: achieved length off the plan by more than this; knee flexion or ankle dorsiflexion lost.
    REHAB_DEVIATION_TOLERANCE_MM = 3.0
    REHAB_KNEE_FLEXION_LOSS_DEG = 20.0
    REHAB_ANKLE_DORSIFLEXION_LOSS_DEG = 10.0
    # Rehabilitation: days of consolidation per cm of lengthening (when neither plan nor defaults say), and the
    # rate above which we warn.
    HEALING_INDEX_DAYS_PER_CM = 45
    DISTRACTION_RATE_WARNING_MM_PER_DAY = 1.5
    REHAB_VISIT_INTERVAL_DISTRACTION_DAYS = 7
    REHAB_VISIT_INTERVAL_CONSOLIDATION_DAYS = 28
    REHAB_ICS_INCLUDE_PATIENT_IDENTITY = False
    # Letters to the patient: the answer is asked for this many days after the letter is prepared; the contact
    # line every letter ends with (the unit's phone and postal address).
    LETTER_ANSWER_DAYS = 21
    LETTER_CONTACT = "Telefon 010-123 45 67 (vardagar 8-16). Ortopediska kliniken, 123 45 Exempelstad."
    # Quality page: cases waiting longer than this (referred, ready or listed) are counted.
    QUALITY_WAITING_LIMIT_DAYS = 30
    # Meetings: attendance, decisions and signing open this many minutes before the start (never earlier).
    RECORDING_OPENS_MINUTES_BEFORE = 30
    # Meetings: flag people absent at this many held meetings of the series in a row.
    REPEATED_ABSENCE_MEETINGS = 3
