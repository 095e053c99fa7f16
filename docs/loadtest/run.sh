#!/usr/bin/env bash
# The load test (`make loadtest`): the production setup on the bench database, then
# locust headless. USERS (50), DURATION in seconds (60), WEB_WORKERS (4) and
# LOADTEST_PORT (8100) can be set in the environment. Needs DATABASE_URL or the
# private cluster, and CELERY_BROKER_URL (`make loadtest` provides both).
set -euo pipefail
cd "$(dirname "$0")/../.."
users=${USERS:-50}
duration=${DURATION:-60}
port=${LOADTEST_PORT:-8100}
py=.venv/bin/python
mkdir -p var/loadtest

# The bench database on the platform's server, created and migrated if missing.
DATABASE_URL=$($py manage.py bench_all --url-only)
export DATABASE_URL
$py manage.py migrate --noinput --verbosity 0
$py manage.py loadtest_setup --users "$users" --output var/loadtest/data.json

# Production settings. Every simulated user comes from 127.0.0.1, so the per-address
# limits on supports and comments are lifted; the per-user limits stay.
export DEBUG=false ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=false
SECRET_KEY=$($py -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export CACHE_URL=${CACHE_URL:-$CELERY_BROKER_URL}
export THROTTLE_SUPPORT_IP=100000/min THROTTLE_COMMENT_IP=100000/min
export LOG_LEVEL=WARNING
$py manage.py collectstatic --noinput --verbosity 0

.venv/bin/celery -A config --quiet worker \
  --concurrency 1 --loglevel WARNING --logfile var/loadtest/worker.log &
worker=$!
# Keep-alive longer than a simulated user's pause (at most 3 s): gunicorn's 2 s
# default closes idle connections just as clients reuse them, and the race shows up
# as "connection reset" errors (behind nginx, the proxy owns this instead).
.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$port" \
  --workers "${WEB_WORKERS:-4}" --worker-class gthread --threads 2 --keep-alive 10 \
  --log-level warning --error-logfile var/loadtest/gunicorn.log &
web=$!
trap 'kill $web $worker 2>/dev/null; wait $web $worker 2>/dev/null' EXIT INT TERM
up=0
for _ in $(seq 60); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && { up=1; break; }
  sleep 0.5
done
if [ "$up" -ne 1 ]; then
  echo "gunicorn did not answer /healthz on :$port within 30 s; var/loadtest/gunicorn.log:" >&2
  tail -n 40 var/loadtest/gunicorn.log >&2 || true
  exit 1
fi

echo "Load test: $users users for ${duration}s against gunicorn (${WEB_WORKERS:-4} workers) on :$port"
echo "Machine: $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM; $(uptime)"
status=0
LOADTEST_DATA=var/loadtest/data.json "${LOCUST:-var/loadtest-venv/bin/locust}" \
  -f docs/loadtest/locustfile.py --headless --host "http://127.0.0.1:$port" \
  --users "$users" --spawn-rate 10 --run-time "${duration}s" --only-summary \
  --csv var/loadtest/result --loglevel WARNING || status=$?
echo "After: $(uptime)"
# locust exits 1 when any request failed.
exit "$status"
