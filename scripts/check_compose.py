"""Check docker-compose.yml without a Docker engine: it parses, names the five services of the
full stack, and every service's image/build, command and env references are well-formed."""

import sys

import yaml

path = sys.argv[1] if len(sys.argv) > 1 else "docker-compose.yml"
with open(path) as f:
    doc = yaml.safe_load(f)
services = doc.get("services") or {}
expected = {"postgres", "redis", "web", "worker", "beat"}
missing = expected - set(services)
assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"
for name, svc in services.items():
    assert "image" in svc or "build" in svc, f"{name}: needs image or build"
    for dep in svc.get("depends_on", {}) or {}:
        assert dep in services, f"{name}: depends on unknown service {dep}"
for name in ("web", "worker", "beat"):
    env = services[name].get("environment", {})
    keys = set(env) if isinstance(env, dict) else {e.split("=", 1)[0] for e in env}
    assert {"DATABASE_URL", "REDIS_URL"} <= keys, f"{name}: needs DATABASE_URL and REDIS_URL"
print(f"{path}: ok ({', '.join(sorted(services))})")
