#!/usr/bin/env python3
"""check-deploy.py [DEPLOY_DIR] — the manifests under deploy/ parse and say what the README promises.

There is no cluster and no kubectl here, so this is what can be checked without one: every file parses as YAML
(python3-yaml); the Kubernetes Indexed Job runs one image per completion index, maps ocislim's exit statuses in its
podFailurePolicy (1 and 3 FailIndex, 2 retried, 64 FailJob, disruptions ignored) to container names that exist,
mounts every volume it names, gives ocislim the shared ReadWriteMany cache, and reads the image list from the
ConfigMap it ships; the Argo WorkflowTemplate retries 2 and not 1, 3 or 64. Prints one line per problem and exits 1
if there is any, else prints what it checked.
"""

import pathlib
import sys

import yaml

PROBLEMS = []


def expect(condition, message):
    if not condition:
        PROBLEMS.append(message)
    return condition


def documents(path):
    with open(path) as stream:
        return [d for d in yaml.safe_load_all(stream) if d is not None]


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def check_job(path):
    docs = documents(path)
    jobs, config_maps, claims = by_kind(docs, "Job"), by_kind(docs, "ConfigMap"), by_kind(docs, "PersistentVolumeClaim")
    if not expect(len(jobs) == 1, f"{path}: expected one Job, found {len(jobs)}"):
        return
    job = jobs[0]
    expect(job.get("apiVersion") == "batch/v1", f"{path}: the Job's apiVersion is not batch/v1")
    spec = job["spec"]
    expect(spec.get("completionMode") == "Indexed", f"{path}: completionMode is not Indexed")
    expect(isinstance(spec.get("backoffLimitPerIndex"), int), f"{path}: no backoffLimitPerIndex (FailIndex needs it)")
    pod = spec["template"]["spec"]
    expect(pod.get("restartPolicy") == "Never", f"{path}: a podFailurePolicy needs restartPolicy Never")

    containers = {c["name"]: c for c in pod.get("initContainers", []) + pod.get("containers", [])}
    actions = {}
    ignores_disruption = False
    for rule in spec.get("podFailurePolicy", {}).get("rules", []):
        for condition in rule.get("onPodConditions", []):
            if condition.get("type") == "DisruptionTarget" and rule["action"] == "Ignore":
                ignores_disruption = True
        codes = rule.get("onExitCodes")
        if codes:
            name = codes.get("containerName")
            expect(name in containers, f"{path}: a podFailurePolicy rule names container {name!r}, which is not there")
            expect(codes.get("operator") == "In", f"{path}: rule for {name}: operator is not In")
            expect(0 not in codes.get("values", []), f"{path}: rule for {name}: 0 is not a failure")
            for value in codes.get("values", []):
                # The first matching rule applies: later ones for the same status are shadowed.
                actions.setdefault((name, value), rule["action"])
    expect(ignores_disruption, f"{path}: disruptions (DisruptionTarget) are not ignored")
    wanted = {1: "FailIndex", 3: "FailIndex", 2: "Count", 64: "FailJob"}
    for status, action in wanted.items():
        got = actions.get(("rewrite", status))
        expect(got == action, f"{path}: ocislim's exit {status} should be {action}, is {got}")

    rewrite = containers.get("rewrite")
    if expect(rewrite is not None, f"{path}: no container named rewrite"):
        args = rewrite.get("args", [])
        expect(args[:1] == ["rewrite"], f"{path}: the rewrite container does not run `ocislim rewrite`")
        expect("--cache" in args and args[args.index("--cache") + 1] == "/cache", f"{path}: no --cache /cache")
        mounts = {m["mountPath"]: m["name"] for m in rewrite.get("volumeMounts", [])}
        expect(mounts.get("/cache") == "cache", f"{path}: /cache is not the cache volume")

    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for container in containers.values():
        for mount in container.get("volumeMounts", []):
            expect(mount["name"] in volumes, f"{path}: {container['name']} mounts {mount['name']}, no such volume")
    claim_name = volumes.get("cache", {}).get("persistentVolumeClaim", {}).get("claimName")
    claim = [c for c in claims if c["metadata"]["name"] == claim_name]
    if expect(claim, f"{path}: the cache claim {claim_name!r} is not defined"):
        expect("ReadWriteMany" in claim[0]["spec"]["accessModes"], f"{path}: the cache is not ReadWriteMany")
    map_name = volumes.get("config", {}).get("configMap", {}).get("name")
    maps = [m for m in config_maps if m["metadata"]["name"] == map_name]
    if expect(maps, f"{path}: the image list ConfigMap {map_name!r} is not defined"):
        lines = [line for line in maps[0]["data"]["images"].splitlines() if line.strip()]
        expect(all(len(line.split()) == 2 for line in lines), f"{path}: an image line is not 'SOURCE DESTINATION'")
        expect(len(lines) == spec.get("completions"), f"{path}: completions != the number of image lines")
    return f"{path}: Indexed Job, podFailurePolicy {sorted((s, a) for (n, s), a in actions.items() if n == 'rewrite')}"


def check_argo(path):
    docs = documents(path)
    templates = by_kind(docs, "WorkflowTemplate")
    if not expect(len(templates) == 1, f"{path}: expected one WorkflowTemplate"):
        return
    spec = templates[0]["spec"]
    names = {t["name"]: t for t in spec["templates"]}
    expect(spec.get("entrypoint") in names, f"{path}: the entrypoint is not a template")
    rewrite = names.get("rewrite", {})
    args = rewrite.get("container", {}).get("args", [])
    expect("--cache" in args, f"{path}: rewrite has no --cache")
    expression = rewrite.get("retryStrategy", {}).get("expression", "")
    expect("[2, 130, 143]" in expression, f"{path}: rewrite's retry expression does not retry exit 2")
    for status in ("1", "3", "64"):
        expect(f" {status}," not in expression and f"[{status}," not in expression,
               f"{path}: rewrite retries exit {status}")
    return f"{path}: WorkflowTemplate, templates {sorted(names)}"


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "deploy")
    checked = [check_job(root / "kubernetes" / "ocislim-mirror-job.yaml")]
    checked.append(check_argo(root / "argo" / "ocislim-mirror-workflowtemplate.yaml"))
    for path in sorted(root.rglob("*.yaml")):
        documents(path)
    for problem in PROBLEMS:
        print(problem)
    if PROBLEMS:
        return 1
    for line in checked:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
