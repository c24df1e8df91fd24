"""Secret detection: find credential-shaped values in parsed YAML and text, never keeping the value.

The layers, cheapest first:

- `detectors/`: one small declarative module per credential family (AWS keys, PEM private keys,
  GitHub/GitLab/Slack/Stripe tokens, JWTs, URLs with a password, ...), compiled once into one regex;
- `names`: is a key name sensitive (`DB_PASSWORD`, `apiKey`) or a reference (`secretKeyRef`,
  `existingSecret`, `PASSWORD_MIN_LENGTH`)?
- `shapes`: is a value a literal or a placeholder, public material, a path, a resource name, random?
- `decode`: base64 and `.dockerconfigjson` contents;
- `scan`: walks a values tree or a Kubernetes object and yields `Hit`s.

A Hit carries where (JSON path), what (a label) and a fingerprint (a salted hash prefix), never the
value: nothing downstream can print what it never received.

Start-up is paid by every render (each Argo CD sync is a fresh process), so the records here are
NamedTuples rather than frozen dataclasses (a tenth of the cost to create the class), and the big
regexes that only a suspicious string needs are compiled on first use.
"""
