"""Word lists and sentence templates that generated sites are written from."""

from __future__ import annotations

from typing import Final

SERVICES: Final[tuple[tuple[str, str], ...]] = (
    ("billing-api", "turns metered usage into monthly invoices"),
    ("ledger", "records every money movement as an immutable double-entry journal"),
    ("search-indexer", "keeps the product search index in step with the catalogue"),
    ("auth-gateway", "terminates sessions and checks tokens for every public request"),
    ("notification-service", "sends email, SMS and push messages on behalf of other services"),
    ("inventory-sync", "pulls stock levels from partner warehouses every five minutes"),
    ("pricing-engine", "computes quotes from rate cards, discounts and currency rates"),
    ("report-builder", "renders scheduled customer reports as PDF and CSV"),
    ("media-transcoder", "converts uploaded video into streaming renditions"),
    ("user-profile", "stores profile data, preferences and consent flags"),
    ("session-store", "holds short-lived login sessions for the web and mobile apps"),
    ("feature-flags", "serves flag rules to backends and the web client"),
    ("audit-log", "keeps a tamper-evident trail of administrative actions"),
    ("payments-gateway", "talks to card processors and handles 3-D Secure challenges"),
    ("order-router", "assigns incoming orders to the right fulfilment partner"),
    ("shipment-tracker", "collects carrier scan events and exposes delivery status"),
    ("catalog", "owns product data, variants and category trees"),
    ("recommendations", "ranks products for the home page and emails"),
    ("fraud-scoring", "scores orders and sign-ups for fraud risk in real time"),
    ("email-dispatcher", "batches and throttles outbound email through our providers"),
    ("webhook-relay", "delivers signed webhooks to customer endpoints with retries"),
    ("metrics-pipeline", "aggregates product metrics for dashboards and alerts"),
    ("warehouse-loader", "loads nightly snapshots into the analytics warehouse"),
    ("identity-provider", "runs single sign-on for staff and enterprise customers"),
    ("rate-limiter", "enforces per-tenant request quotas at the edge"),
    ("config-service", "distributes runtime configuration to every service"),
    ("scheduler", "runs cron-style jobs with retries and locking"),
    ("document-store", "stores customer uploads and generated documents"),
    ("image-resizer", "produces thumbnails and responsive image variants on demand"),
    ("geo-lookup", "maps addresses and IP ranges to regions"),
    ("tax-calculator", "applies VAT and sales-tax rules per jurisdiction"),
    ("invoice-renderer", "lays out invoices and credit notes in every supported language"),
    ("partner-api", "exposes orders and stock to integration partners"),
    ("mobile-bff", "shapes backend responses for the iOS and Android apps"),
    ("web-frontend", "serves the customer web application"),
    ("admin-console", "gives support staff a safe view of customer accounts"),
    ("export-worker", "builds large data exports in the background"),
    ("event-bus", "carries domain events between services"),
    ("cache-warmer", "pre-computes expensive pages before traffic peaks"),
    ("backup-runner", "takes and verifies database backups every night"),
)
TEAMS: Final[tuple[str, ...]] = (
    "Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Falcon",
    "Granite", "Harbor", "Iris", "Juniper", "Kite", "Lumen",
)  # fmt: skip
JIRA_KEYS: Final[tuple[str, ...]] = (
    "PAY", "PLAT", "SRCH", "CORE", "OPS", "MOB", "DATA", "SEC", "WEB", "INT", "API", "INFRA",
)  # fmt: skip
TECH: Final[tuple[str, ...]] = (
    "PostgreSQL",
    "Redis",
    "Kafka",
    "OpenSearch",
    "ClickHouse",
    "S3",
    "RabbitMQ",
    "DynamoDB",
)  # fmt: skip  (datastores: a page's "tech")
METRICS: Final[tuple[str, ...]] = (
    "p99 latency", "error rate", "queue depth", "CPU saturation", "replication lag",
    "cache hit ratio", "throughput", "availability", "consumer lag", "memory usage",
)  # fmt: skip
ENVS: Final[tuple[str, ...]] = (
    "staging", "production", "the canary pool", "the eu-west cluster", "the us-east cluster",
)  # fmt: skip
PROCESSES: Final[tuple[str, ...]] = (
    "code review", "release", "incident response", "on-call handover", "capacity planning",
    "access review", "dependency upgrade", "schema migration", "load testing",
    "disaster recovery drill", "cost review", "onboarding", "postmortem", "change approval",
    "security patching", "data retention",
)  # fmt: skip
SCENARIOS: Final[tuple[str, ...]] = (
    "high replication lag", "disk almost full", "stuck consumer group", "certificate expiry",
    "elevated 5xx rate", "memory leak after deploy", "failed database migration", "queue backlog",
    "DNS resolution failures", "expired API credentials", "slow queries", "pods in crash loop",
    "cache stampede", "partition rebalancing storm", "clock skew", "noisy neighbour nodes",
    "third-party API outage", "TLS handshake errors", "connection pool exhaustion",
    "runaway cron job",
)  # fmt: skip
TASKS: Final[tuple[str, ...]] = (
    "rotate the database credentials of", "add a new endpoint to", "run load tests against",
    "enable debug logging in", "restore a backup of", "scale out", "add a feature flag to",
    "profile CPU usage of", "add a dashboard for", "upgrade the client library in",
    "onboard a new partner to", "replay dead-lettered events in", "backfill data in",
    "change the retention period of", "set up local development for", "roll back a release of",
    "write an integration test for", "migrate a table in", "add an alert for",
    "review access to",
)  # fmt: skip
PURPOSES: Final[tuple[tuple[str, tuple[str, str, str]], ...]] = (
    ("service-to-service calls", ("gRPC", "REST over HTTP/2", "Envoy service mesh")),
    ("background jobs", ("RabbitMQ", "Kafka", "Redis queues")),
    ("audit events", ("Kafka", "ClickHouse", "PostgreSQL")),
    ("session storage", ("Redis", "PostgreSQL", "DynamoDB")),
    ("product search", ("OpenSearch", "PostgreSQL full-text search", "Typesense")),
    ("metrics", ("Prometheus", "ClickHouse", "InfluxDB")),
    ("secrets", ("Vault", "cloud KMS", "SOPS-encrypted files")),
    ("deploy automation", ("Argo CD", "GitHub Actions", "Flux")),
    ("feature flags", ("Unleash", "LaunchDarkly", "a home-grown flag service")),
    ("rate limiting", ("Envoy", "Redis counters", "the API gateway")),
    ("schema migrations", ("Flyway", "Alembic", "Liquibase")),
    ("analytics queries", ("ClickHouse", "BigQuery", "DuckDB")),
    ("file storage", ("S3", "MinIO", "a shared NFS volume")),
    ("tracing", ("OpenTelemetry", "Jaeger", "Zipkin")),
    ("infrastructure as code", ("Terraform", "Pulumi", "CloudFormation")),
    ("dashboards", ("Grafana", "Kibana", "Datadog")),
)
SYMPTOMS: Final[tuple[str, ...]] = (
    "Checkout latency spike", "Elevated error rate", "Partial outage", "Delayed data",
    "Failed deploy", "Login failures", "Webhook backlog", "Stale search results",
    "Duplicate notifications", "Missing invoices", "Slow page loads", "Dropped events",
)  # fmt: skip
CODENAMES: Final[tuple[str, ...]] = (
    "Orion", "Nimbus", "Halcyon", "Tundra", "Mosaic", "Quill", "Sable", "Vesper", "Zephyr",
    "Aurora", "Basalt", "Cinder", "Drift", "Fjord", "Glacier", "Helix", "Indigo", "Jasper",
)  # fmt: skip
GOALS: Final[tuple[str, ...]] = (
    "move {svc} to {tech}", "halve p99 latency of {svc}", "multi-region failover for {svc}",
    "cut hosting cost of {svc}", "self-service onboarding", "retire the legacy {svc} endpoints",
    "zero-downtime deploys for {svc}", "audit trail for {svc}", "split {svc} out of the monolith",
)  # fmt: skip
PROJECT_DOCS: Final[tuple[str, ...]] = (
    "requirements", "rollout plan", "status report", "retrospective", "risk register",
    "test plan", "launch checklist", "open questions",
)  # fmt: skip
MEETINGS: Final[tuple[str, ...]] = (
    "weekly sync", "retro", "sprint planning", "architecture review", "ops review",
)  # fmt: skip
SERVICE_DOCS: Final[tuple[str, ...]] = (
    "API reference", "dashboards and alerts", "data model", "capacity plan", "design notes",
    "FAQ", "SLOs", "dependencies", "configuration reference", "known issues",
)  # fmt: skip
STATUSES: Final[tuple[tuple[str, str], ...]] = (
    ("Green", "DONE"), ("Green", "ON TRACK"), ("Yellow", "IN PROGRESS"), ("Yellow", "AT RISK"),
    ("Red", "BLOCKED"), ("Blue", "PROPOSED"), ("Grey", "DRAFT"), ("Green", "ACCEPTED"),
    ("Grey", "SUPERSEDED"),
)  # fmt: skip
EMOTICONS: Final[tuple[str, ...]] = (
    "smile", "tick", "warning", "information", "thumbs-up", "light-on", "cross", "question",
    "yellow-star", "laugh",
)  # fmt: skip
HR_TOPICS: Final[tuple[str, ...]] = (
    "annual leave", "sick leave", "parental leave", "expenses", "travel", "remote work",
    "learning budget", "performance reviews", "hiring", "referrals", "equipment", "benefits",
)  # fmt: skip
MONTHS: Final[tuple[str, ...]] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

# Sentence templates by topic. Slots: svc, team, tech (the page's own), svc2, tech2, metric,
# env, proc, scenario, n, slo, share, dur, month, resp (svc responsibility), who (a mention),
# when (a date lozenge), page (a page link), cmd (inline code), hr (an HR topic).
SENTENCES: Final[dict[str, tuple[str, ...]]] = {
    "general": (
        "The {svc} service {resp}.",
        "Team {team} owns {svc} and reviews every change to it.",
        "We moved {svc} to {tech} in {month}; the old store could not keep up with peak traffic.",
        "Most questions about {svc} are answered on {page}.",
        "Talk to {who} before you change anything that touches {svc2}.",
        "Keep {metric} of {svc} inside the budget agreed with Team {team}.",
        "The last review of this page was on {when}.",
        "Changes to {svc} go to {env} first and stay there for at least {n} hours.",
        "{tech} is the default datastore here unless there is a written reason to pick {tech2}.",
        "The {proc} process applies to {svc} like to every tier-1 service.",
        "Run {cmd} to see the current state before and after each step.",
        "We keep {n} days of logs for {svc}; older data is archived to object storage.",
        "Anything that affects customers is announced in the release channel first.",
        "If something here is out of date, fix it directly or leave a comment for {who}.",
        "During {month} the team spent most of its time on reliability work for {svc}.",
        "The {svc} dashboard shows {metric} for each region and links to the runbooks.",
    ),
    "service": (
        "{svc} {resp}, and it is called by {svc2} and the {svc2} workers.",
        "It runs as {n} replicas per region on Kubernetes with autoscaling on {metric}.",
        "State lives in {tech}; nothing on the pods themselves survives a restart.",
        "The public contract is versioned, and old versions stay available for six months.",
        "Our service level objective is {slo} availability measured over 28 days.",
        "Requests time out after {n} seconds and are retried once with jitter.",
        "Team {team} carries the pager for {svc} around the clock.",
        "Configuration is read from config-service at start-up and refreshed every {n} minutes.",
        "The biggest risk is a slow {svc2}, so every call to it goes through a circuit breaker.",
        "Capacity was last reviewed in {month}; the next review is due on {when}.",
    ),
    "runbook": (
        "This runbook covers {scenario} in {svc}.",
        "You will usually be paged by the alert on {metric} before customers notice anything.",
        "First check for a deploy in the last {n} minutes; most incidents follow a change.",
        "If {metric} keeps rising for more than {dur}, declare an incident and page {who}.",
        "Do not restart every pod at once: restart one, wait until it is healthy, then continue.",
        "Confirm recovery on the dashboard: {metric} should return to normal within {dur}.",
        "Write down every command you ran in the incident channel, with the time.",
        "When the fix needs a config change, use config-service rather than editing pods by hand.",
        "Escalate to Team {team} if the steps below do not help within {dur}.",
        "Check the {svc2} status page too, because {svc} depends on it.",
    ),
    "process": (
        "The {proc} process exists so that nobody has to remember the rules under pressure.",
        "Every change needs one reviewer from Team {team} and a green pipeline.",
        "We run the {proc} process at least once a quarter, even when nothing seems wrong.",
        "Record the outcome on this page, with the date of the review ({when}).",
        "Exceptions are possible, but they are agreed in writing with {who} beforehand.",
        "The checklist below is the minimum; add steps for your service where needed.",
        "Automation does most of the work: {cmd} prepares the change and opens the ticket.",
        "Anyone can stop the {proc} process if something looks unsafe.",
        "It usually takes {n} working days from request to completion.",
    ),
    "meeting": (
        "We looked at {metric} for {svc}; it improved after the last release.",
        "{who} walked through the plan for {svc} and asked for feedback by {when}.",
        "The team agreed to spend {share} of next sprint on reliability work.",
        "The {proc} process took longer than planned because of missing test data.",
        "Open question: do we keep {tech} or move to {tech2} for the next phase?",
        "Demo of the new {svc} dashboard went well; it replaces the old spreadsheet.",
        "Action items from last time are mostly done; two are carried over.",
        "Hiring update: one offer accepted, the new engineer starts in {month}.",
    ),
    "adr": (
        "We need a consistent way to handle {purpose} across services.",
        "Today each team solves this differently, which makes on-call harder than it should be.",
        "We will use {choice} for {purpose}, starting with {svc}.",
        "The main alternative was {alt}; it was rejected because of its operational cost.",
        "Teams must migrate within {few} months; Team {team} helps with the first two services.",
        "This decision will be revisited if {metric} becomes a problem at ten times today's load.",
        "The decision was reviewed at the architecture review on {when}.",
    ),
    "incident": (
        "For about {dur} customers saw errors when calling {svc}.",
        "The trigger was a configuration change that doubled the load on {svc2}.",
        "Detection took {n} minutes; the alert on {metric} fired as designed.",
        "{who} was incident commander and Team {team} handled the fix.",
        "We rolled back the change and {metric} returned to normal within {dur}.",
        "Roughly {share} of requests failed during the worst ten minutes.",
        "The root cause was a missing limit on retries between {svc} and {svc2}.",
        "Nobody lost data, but some notifications were sent twice.",
    ),
    "project": (
        "The goal is to finish before {month} so that the peak season runs on the new setup.",
        "Success means {metric} of {svc} stays under the agreed limit at double today's traffic.",
        "Out of scope: changes to {svc2} and anything customer-facing.",
        "The biggest risk is the data migration; we will rehearse it twice on {env}.",
        "{who} is the driver and posts a status update every Friday.",
        "Budget: {n} engineer-weeks, mostly from Team {team}.",
        "We will keep the old path behind a feature flag until {when}.",
    ),
    "team": (
        "Team {team} builds and runs {svc} and {svc2}.",
        "We work in two-week sprints and demo on the last Thursday.",
        "Our on-call rotation has {n} people; handover happens on Monday at 10:00.",
        "The best way to reach us is the team channel; for urgent issues page the on-call.",
        "This quarter we focus on {proc} and on reducing {metric}.",
        "New joiners pair with {who} during their first two weeks.",
    ),
    "hr": (
        "This policy on {hr} applies to every employee and contractor.",
        "Requests for {hr} go through the HR portal and are approved by your manager.",
        "Questions about {hr} can be sent to {who} at any time.",
        "The policy was last updated on {when} after feedback from the staff survey.",
        "Unused days carry over until the end of March of the following year.",
        "Managers confirm requests within {n} working days.",
        "Receipts must be uploaded within thirty days of the purchase.",
    ),
}
DURATIONS: Final[tuple[str, ...]] = (
    "five minutes", "ten minutes", "fifteen minutes", "half an hour", "an hour",
)  # fmt: skip
SLOS: Final[tuple[str, ...]] = ("99.9%", "99.95%", "99.5%", "99.99%")
SHARES: Final[tuple[str, ...]] = ("20%", "30%", "5%", "2%", "12%", "a quarter", "a third")
NUMS: Final[tuple[str, ...]] = ("2", "3", "4", "5", "6", "10", "12", "15", "20", "30", "45")
BULLETS: Final[tuple[str, ...]] = (
    "Dashboards for {svc} live in Grafana",
    "Alerts page Team {team} after {dur}",
    "Deploys go through {env} first",
    "Secrets are stored in Vault, never in the repository",
    "Every schema change needs a rollback script",
    "Logs are structured JSON with a request id",
    "Runbooks are linked from every alert",
    "Load tests run before every major release",
    "Owners review {metric} weekly",
    "Access is granted per group, never per person",
    "Backups of {svc} are verified nightly",
    "Feature flags guard risky changes",
)  # fmt: skip

CODE_SNIPPETS: Final[tuple[tuple[str, str], ...]] = (
    (
        "bash",
        "kubectl -n {ns} get pods -l app={svc}\n"
        "kubectl -n {ns} rollout status deployment/{svc}\n"
        "kubectl -n {ns} rollout undo deployment/{svc}",
    ),
    (
        "yaml",
        "service: {svc}\nreplicas: {n}\nresources:\n  cpu: 500m\n  memory: 1Gi\n"
        "alerts:\n  - name: {svc}-high-error-rate\n    threshold: 0.02\n    for: 10m",
    ),
    (
        "sql",
        "SELECT status, count(*) AS jobs\nFROM {table}\n"
        "WHERE created_at > now() - interval '1 hour'\nGROUP BY status\nORDER BY jobs DESC;",
    ),
    (
        "python",
        "from {mod}.client import Client\n\n"
        'client = Client(base_url="https://{svc}.internal", timeout=5.0)\n'
        "for item in client.list(limit=100):\n    print(item.id, item.status)",
    ),
    (
        "json",
        '{{\n  "service": "{svc}",\n  "owner": "team-{team_slug}",\n  "tier": 1,\n'
        '  "slo": {{"availability": 99.9, "latency_ms_p99": 400}}\n}}',
    ),
    (
        "go",
        "func (s *Server) Health(ctx context.Context) error {{\n"
        "\tif err := s.db.PingContext(ctx); err != nil {{\n"
        '\t\treturn fmt.Errorf("{svc}: database unreachable: %w", err)\n\t}}\n\treturn nil\n}}',
    ),
    (
        "java",
        "@Scheduled(fixedDelay = 60_000)\npublic void refresh() {{\n"
        '    log.info("refreshing {svc} cache");\n    cache.invalidateAll();\n}}',
    ),
)
VENDOR_MACROS: Final[tuple[tuple[str, tuple[tuple[str, str], ...]], ...]] = (
    ("acme-metric-tile", (("metric", "{metric}"), ("service", "{svc}"), ("window", "7d"))),
    ("orbit-roadmap", (("team", "{team}"), ("quarters", "2"), ("theme", "dark"))),
    ("flowchart-pro", (("diagram", "{svc}-flow"), ("zoom", "1"), ("border", "true"))),
)
