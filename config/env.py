"""Readers and validators of environment variables, for config/settings.py.

Each reader takes the variable's name and a default, and fails at startup with
ImproperlyConfigured naming the variable when its value is bad, so that a typo never
quietly means a default. The settings themselves stay in config/settings.py.
"""

import ipaddress
import os
import re
from datetime import date
from email.utils import parseaddr
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()


def env_or_fail(reader, name, **kwargs):
    """Read one variable; turn any parse error into a message that names it."""
    try:
        return reader(name, **kwargs)
    except Exception as error:
        if name in str(error):
            raise
        raise ImproperlyConfigured(f"Invalid value for the {name} environment variable: {error}") from error


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name, default):
    """A strict boolean: a typo such as DEBUG=ture fails instead of silently meaning False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"Invalid value for the {name} environment variable: {raw!r} is not a boolean")


def fail(name, problem):
    raise ImproperlyConfigured(f"Invalid value for the {name} environment variable: {problem}")


def env_int(name, default, *, minimum=1, maximum=None):
    """A whole number in a range: 0 or -1 for a lifetime, timeout or retention fails instead of
    quietly meaning "never" or "at once"."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        fail(name, f"{raw!r} is not a whole number")
    if value < minimum or (maximum is not None and value > maximum):
        fail(name, f"{value} is not between {minimum} and {maximum if maximum is not None else 'any'}")
    return value


def env_seconds(name, default, *, minimum, maximum):
    """A duration in seconds (a decimal number) between `minimum` and `maximum`."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        problem = f"{raw!r} is not a number"
        raise ImproperlyConfigured(f"Invalid value for the {name} environment variable: {problem}") from None
    if not minimum <= value <= maximum:  # also refuses nan
        raise ImproperlyConfigured(
            f"Invalid value for the {name} environment variable: {raw!r} is not between {minimum} and {maximum}"
        )
    return value


# DRF reads a rate as N/<period>, keeping only the period's first letter: "10/mnute" would mean 10/minute.
_RATE = re.compile(r"[1-9][0-9]*/(?:[smhd]|(?:second|minute|hour|day)s?)")


def env_rate(name, default):
    value = os.environ.get(name, default).strip()
    if not _RATE.fullmatch(value):
        fail(name, f"{value!r} is not a rate such as 10/minute (N/s, N/m, N/h, N/d; second, minute, hour, day)")
    return value


def env_log_level(name, default):
    value = os.environ.get(name, default).strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        fail(name, f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return value


_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")


def is_ip_address(text):
    try:
        ipaddress.ip_address(text.removeprefix("[").removesuffix("]"))
        return True
    except ValueError:
        return False


def is_host(text):
    """A DNS name or an IP address (IPv6 with or without brackets)."""
    return is_ip_address(text) or bool(_HOST_NAME.fullmatch(text))


def check_url(name, value, schemes):
    """`schemes` maps each accepted scheme to whether the URL must name a host."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError as error:
        fail(name, f"{value!r} is not a URL ({error})")
    if parts.scheme not in schemes:
        fail(name, f"{value!r} does not start with {'://, '.join(schemes)}://")
    host = parts.hostname
    if (schemes[parts.scheme] and not host) or (host and not is_host(host)):
        fail(name, f"{value!r} does not name a valid host")
    return value


def env_url(name, default, schemes):
    """A URL with one of `schemes`, or the default (which may be empty: not configured)."""
    value = os.environ.get(name, default).strip()
    return check_url(name, value, schemes) if value or value != default else value


def env_list(name, default, check, expected):
    """A comma-separated list; every item must pass `check` (e.g. an origin given without its scheme)."""
    items = env_or_fail(env.list, name, default=default)
    for item in items:
        if not check(item):
            fail(name, f"{item!r} is not {expected}")
    return items


def is_origin(text):
    parts = urlsplit(text)
    return (
        parts.scheme in ("http", "https")
        and is_host(parts.hostname or "")
        and parts.path == ""
        and not (parts.query or parts.fragment or parts.username)
    )


def env_database(name, default):
    """A PostgreSQL or SQLite URL, as a DATABASES entry."""
    url = env_url(name, default, {"sqlite": False, "postgres": False, "postgresql": False, "pgsql": False})
    database = env_or_fail(lambda _name: env.db_url_config(url), name)
    engine = database.get("ENGINE", "")
    if engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql") or not database["NAME"]:
        raise ImproperlyConfigured(
            f"Invalid value for the {name} environment variable: use postgres://user:password@host:port/name "
            "or sqlite:///path/to/db.sqlite3"
        )
    return database


_EMAIL_SCHEMES = {"smtp": True, "smtps": True, "smtp+tls": True, "smtp+ssl": True}
_EMAIL_SCHEMES |= dict.fromkeys(("consolemail", "filemail", "memorymail", "dummymail"), False)


def env_email_url(name, default):
    """An e-mail backend URL, as the EMAIL_* settings (EMAIL_BACKEND, EMAIL_HOST, ...)."""
    return env_or_fail(lambda name: env.email_url_config(env_url(name, default, _EMAIL_SCHEMES)), name)


def env_date(name, default):
    """A date (YYYY-MM-DD), or the default when the variable is unset or empty."""
    return env_or_fail(
        lambda name, default: date.fromisoformat(env.str(name, default="")) if env.str(name, default="") else default,
        name,
        default=default,
    )


def env_path(name, default):
    """A directory, or a path where one can be made: not empty, not an existing file."""
    value = os.environ.get(name, default).strip()
    if not value or (os.path.exists(value) and not os.path.isdir(value)):
        fail(name, f"{value!r} is not a directory")
    return value


_EMAIL = re.compile(r"[^@\s<>\"]+@([^@\s<>\"]+)")


def env_email(name, default):
    """An address, bare or with a display name: "Timetrack <timetrack@example.com>"."""
    value = os.environ.get(name, default).strip()
    match = _EMAIL.fullmatch(parseaddr(value)[1])
    if not match or not is_host(match.group(1)):
        fail(name, f"{value!r} is not an e-mail address")
    return value


def trusted_proxies():
    """Addresses or networks of the deployment's own reverse proxies (README "Security")."""
    values = env_or_fail(env.list, "TRUSTED_PROXIES", default=[])
    for value in values:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            fail("TRUSTED_PROXIES", f"{value!r} is not an IP address or network such as 10.0.0.0/8")
    return [value.strip() for value in values if value.strip()]


def webhook_allowed_hosts():
    """Internal hosts webhooks may reach (webhooks/destinations.py refuses loopback, private and
    link-local addresses otherwise): exact host names, IP addresses or CIDR networks."""
    name = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*")
    entries = []
    for raw in env_or_fail(env.list, "WEBHOOK_ALLOWED_HOSTS", default=[]):
        entry = raw.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
        if not entry:
            continue
        if "/" in entry or ":" in entry or re.fullmatch(r"[0-9.]+", entry):
            try:
                ipaddress.ip_network(entry)
            except ValueError as error:
                raise ImproperlyConfigured(
                    f"Invalid value for the WEBHOOK_ALLOWED_HOSTS environment variable: {raw!r} is not an IP "
                    f"address or CIDR network such as 10.0.0.0/8 ({error})"
                ) from error
        elif not name.fullmatch(entry) or entry.rsplit(".", 1)[-1].isdigit():
            raise ImproperlyConfigured(
                f"Invalid value for the WEBHOOK_ALLOWED_HOSTS environment variable: {raw!r} is not a host name, "
                "an IP address or a CIDR network"
            )
        entries.append(entry)
    return entries
