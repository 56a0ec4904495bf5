#!/usr/bin/env python3
"""Checks rendered Kubernetes manifests; run by scripts/validate-k8s.sh inside .cache/venv.

1. Schema: every core kind is validated strictly (unknown fields rejected) with
   kubernetes-validate, for each Kubernetes version given. Kinds from CRDs (Strimzi, KEDA, Argo,
   Chaos Mesh, Prometheus Operator) have no schema there: they are skipped with a notice.
2. House rules the schemas cannot express, taken from the original system's mistakes:
   no Secret objects in the repo, credentials only through secretKeyRef, no cluster-wide RBAC
   or wildcards, restricted pod security, launcher Jobs bounded like job-admission-policy.yaml,
   and only known metric names in alerts, analyses and dashboards.

usage: check-manifests.py [--k8s-version V]... [--metrics-from DIR] [--jobs] FILE...
  --jobs  the files hold Jobs produced by the Kubernetes launcher (namespace may be omitted).
"""
import argparse
import json
import pathlib
import re
import sys

import yaml
from kubernetes_validate import utils as kv

# API groups whose kinds come from CRDs and so have no schema in kubernetes-validate.
CRD_GROUPS = {
    "kafka.strimzi.io": "Strimzi",
    "keda.sh": "KEDA",
    "argoproj.io": "Argo Rollouts",
    "chaos-mesh.org": "Chaos Mesh",
    "monitoring.coreos.com": "Prometheus Operator",
}
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "CustomResourceDefinition", "PriorityClass", "StorageClass", "PersistentVolume",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
# Metric names the application exports; histograms add suffixes. When --metrics-from points at
# the sources, the names quoted there ('streamforge_...') replace this list.
KNOWN_METRICS = {
    "streamforge_records_written_total", "streamforge_actor_restarts_total",
    "streamforge_exchange_request_duration_seconds", "streamforge_exchange_weight_used_ratio",
    "streamforge_consumer_lag", "streamforge_messages_rejected_total", "streamforge_workflows",
    "streamforge_http_requests_total", "streamforge_http_request_duration_seconds",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
CREDENTIAL_ENV = re.compile(r"(PASSWORD|SECRET|TOKEN|SECRET_KEY|ACCESS_KEY)$")
REQUIRED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of")
WORKER_SERVICE_ACCOUNT = "streamforge-worker"


class Report:
    def __init__(self):
        self.errors = []
        self.validated = 0
        self.skipped = {}

    def error(self, where, message):
        self.errors.append(f"{where}: {message}")


def name_of(doc):
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name', '?')}"


def group_of(doc):
    api_version = doc.get("apiVersion", "")
    return api_version.split("/")[0] if "/" in api_version else ""


def pod_spec_of(doc):
    """The pod template spec of a workload, with its labels, or (None, None)."""
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind in POD_TEMPLATE_KINDS or (kind == "Rollout" and "template" in spec):
        template = spec.get("template") or {}
        return template.get("spec") or {}, (template.get("metadata") or {}).get("labels") or {}
    if kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return template.get("spec") or {}, (template.get("metadata") or {}).get("labels") or {}
    if kind == "Pod":
        return spec, (doc.get("metadata") or {}).get("labels") or {}
    return None, None


def check_schema(doc, where, versions, report):
    group = group_of(doc)
    if group in CRD_GROUPS:
        report.skipped.setdefault(f"{doc['kind']} ({CRD_GROUPS[group]} CRD)", []).append(where)
        return
    for version in versions:
        try:
            kv.validate(doc, version, strict=True)
        except kv.SchemaNotFoundError as e:
            report.error(where, f"no schema ({e.message}); add its API group to CRD_GROUPS only if it is a CRD")
            return
        except kv.ValidationError as e:
            path = "/".join(str(p) for p in e.path) or "(root)"
            report.error(where, f"k8s {version} schema: {path}: {e.message}")
            return
    report.validated += 1


def check_scope(doc, where, jobs_mode, report):
    namespace = (doc.get("metadata") or {}).get("namespace")
    if doc["kind"] in CLUSTER_SCOPED:
        if namespace:
            report.error(where, "cluster-scoped kind must not carry metadata.namespace")
    elif not namespace and not jobs_mode:
        report.error(where, "namespaced kind without metadata.namespace would land in the client's default namespace")


def check_secrets_and_rbac(doc, where, report):
    kind = doc["kind"]
    if kind == "Secret" and (doc.get("data") or doc.get("stringData")):
        report.error(where, "Secret with values in the repository: create it out of band (docs/deploying.md)")
    if kind in ("ClusterRole", "ClusterRoleBinding"):
        report.error(where, "StreamForge needs no cluster-wide RBAC: use a namespaced Role")
    if kind == "Role":
        for rule in doc.get("rules") or []:
            for field in ("apiGroups", "resources", "verbs"):
                if "*" in (rule.get(field) or []):
                    report.error(where, f"wildcard in rules[].{field}")
            if "secrets" in (rule.get("resources") or []):
                report.error(where, "the manager must not read Secrets through the API")


def check_pod(doc, where, jobs_mode, report):
    spec, labels = pod_spec_of(doc)
    if spec is None:
        return
    for label in REQUIRED_LABELS:
        if not labels.get(label):
            report.error(where, f"pod template lacks label {label}")
    if labels.get("app.kubernetes.io/name") != "streamforge":
        report.error(where, "pod template must be labelled app.kubernetes.io/name=streamforge (NetworkPolicies select on it)")
    pod_sc = spec.get("securityContext") or {}
    if (pod_sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        report.error(where, "pod securityContext.seccompProfile.type must be RuntimeDefault")
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            report.error(where, f"{flag} is not allowed")
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            report.error(where, f"volume {volume.get('name')} uses hostPath")
    component = labels.get("app.kubernetes.io/component")
    is_worker = doc["kind"] in ("Job", "CronJob") or jobs_mode or component not in ("manager", "all")
    if is_worker:
        if spec.get("serviceAccountName") != WORKER_SERVICE_ACCOUNT:
            report.error(where, f"worker pods must use serviceAccountName {WORKER_SERVICE_ACCOUNT}")
        if spec.get("automountServiceAccountToken") is not False:
            report.error(where, "worker pods must set automountServiceAccountToken: false")
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    for container in containers:
        check_container(container, f"{where} container {container.get('name')}", is_worker, report)


def check_container(container, where, is_worker, report):
    sc = container.get("securityContext") or {}
    if sc.get("allowPrivilegeEscalation") is not False:
        report.error(where, "allowPrivilegeEscalation must be false")
    if sc.get("readOnlyRootFilesystem") is not True:
        report.error(where, "readOnlyRootFilesystem must be true")
    if sc.get("privileged"):
        report.error(where, "privileged is not allowed")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        report.error(where, "capabilities must drop ALL")
    resources = container.get("resources") or {}
    for part in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(part) or {}):
                report.error(where, f"resources.{part}.{resource} missing")
    image = container.get("image", "")
    if ":" not in image.rsplit("/", 1)[-1] and "@" not in image or image.endswith(":latest"):
        report.error(where, f"image {image!r} must have a fixed tag or digest")
    for env in container.get("env") or []:
        name = env.get("name", "")
        if name == "STREAMFORGE_API_TOKEN" and is_worker:
            report.error(where, "workers must not receive STREAMFORGE_API_TOKEN")
        if CREDENTIAL_ENV.search(name) and "value" in env:
            report.error(where, f"env {name} holds a literal value: use valueFrom.secretKeyRef")
        if CREDENTIAL_ENV.search(name) and "valueFrom" in env and "secretKeyRef" not in env["valueFrom"]:
            report.error(where, f"env {name} must come from a secretKeyRef")


def metrics_in_sources(root):
    names = set()
    for path in pathlib.Path(root).rglob("*.ts"):
        names.update(re.findall(r"['\"`](streamforge_[a-z0-9_]+)['\"`]", path.read_text(errors="replace")))
    return names


def metric_names(text):
    return set(re.findall(r"\b(streamforge_[a-z0-9_]+)", text))


def check_metrics(doc, where, report):
    kind = doc["kind"]
    if kind == "PrometheusRule" or kind == "AnalysisTemplate":
        text = json.dumps(doc.get("spec"))
    elif kind == "ConfigMap" and (doc.get("metadata", {}).get("labels") or {}).get("grafana_dashboard") == "1":
        text = "".join(doc.get("data", {}).values())
        for key, value in doc.get("data", {}).items():
            try:
                json.loads(value)
            except ValueError as e:
                report.error(where, f"dashboard {key} is not valid JSON: {e}")
    else:
        return
    for metric in sorted(metric_names(text)):
        base = metric
        for suffix in HISTOGRAM_SUFFIXES:
            if metric.endswith(suffix) and metric[: -len(suffix)] in KNOWN_METRICS:
                base = metric[: -len(suffix)]
        if base not in KNOWN_METRICS:
            report.error(where, f"unknown metric {metric} (the app exports: {', '.join(sorted(KNOWN_METRICS))})")


def check_references(docs, path, report):
    """Within one rendered overlay: every name an object refers to must exist in the same render."""
    names = {}
    for doc in docs:
        names.setdefault(doc.get("kind"), set()).add((doc.get("metadata") or {}).get("name"))
    pod_labels = [labels for doc in docs for _, labels in [pod_spec_of(doc)] if labels is not None]

    def need(kind, name, where):
        if name not in names.get(kind, set()):
            report.error(where, f"refers to {kind}/{name}, which this overlay does not define")

    def selects_pods(selector):
        return any(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels)

    for doc in docs:
        where, kind, spec = f"{path}: {name_of(doc)}", doc.get("kind"), doc.get("spec") or {}
        labels = (doc.get("metadata") or {}).get("labels") or {}
        if group_of(doc) == "kafka.strimzi.io" and kind != "Kafka":
            need("Kafka", labels.get("strimzi.io/cluster"), where)
        if kind == "ScaledObject":
            need(spec["scaleTargetRef"].get("kind", "Deployment"), spec["scaleTargetRef"]["name"], where)
            for trigger in spec.get("triggers") or []:
                if trigger.get("authenticationRef"):
                    need("TriggerAuthentication", trigger["authenticationRef"]["name"], where)
        if kind == "TriggerAuthentication":
            for ref in spec.get("configMapTargetRef") or []:
                need("ConfigMap", ref["name"], where)
        if kind == "Rollout":
            if spec.get("workloadRef"):
                need(spec["workloadRef"]["kind"], spec["workloadRef"]["name"], where)
            analysis = ((spec.get("strategy") or {}).get("canary") or {}).get("analysis") or {}
            for template in analysis.get("templates") or []:
                need("AnalysisTemplate", template["templateName"], where)
        if kind == "RoleBinding":
            need(doc["roleRef"]["kind"], doc["roleRef"]["name"], where)
            for subject in doc.get("subjects") or []:
                if subject.get("kind") == "ServiceAccount":
                    need("ServiceAccount", subject["name"], where)
        if kind == "Service" and spec.get("selector") and not selects_pods(spec["selector"]):
            report.error(where, "selector matches no pod template in this overlay")
        if kind == "PodDisruptionBudget" and not selects_pods((spec.get("selector") or {}).get("matchLabels") or {}):
            report.error(where, "selector matches no pod template in this overlay")
        pod, _ = pod_spec_of(doc)
        if pod:
            if pod.get("serviceAccountName"):
                need("ServiceAccount", pod["serviceAccountName"], where)
            for container in pod.get("containers") or []:
                for source in container.get("envFrom") or []:
                    if "configMapRef" in source:
                        need("ConfigMap", source["configMapRef"]["name"], where)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k8s-version", action="append", dest="versions")
    parser.add_argument("--jobs", action="store_true")
    parser.add_argument("--metrics-from", metavar="DIR", help="read exported metric names from *.ts under DIR")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    versions = args.versions or ["1.30", "1.37"]
    if args.metrics_from:
        exported = metrics_in_sources(args.metrics_from)
        if exported:
            KNOWN_METRICS.clear()
            KNOWN_METRICS.update(exported)
            print(f"  metric names: {len(exported)} read from {args.metrics_from}")
    report = Report()
    documents = 0
    for path in args.files:
        try:
            with open(path) as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            report.error(path, f"invalid YAML: {e}")
            continue
        for doc in docs:
            if doc.get("kind") == "List":
                docs.extend(doc.get("items") or [])
                continue
            documents += 1
            where = f"{path}: {name_of(doc)}"
            if not doc.get("apiVersion") or not doc.get("kind") or not (doc.get("metadata") or {}).get("name"):
                report.error(where, "needs apiVersion, kind and metadata.name")
                continue
            if args.jobs and doc["kind"] != "Job":
                report.error(where, "--jobs expects only Job manifests")
            check_schema(doc, where, versions, report)
            check_scope(doc, where, args.jobs, report)
            check_secrets_and_rbac(doc, where, report)
            check_pod(doc, where, args.jobs, report)
            check_metrics(doc, where, report)
        # A file holding a Namespace is a whole overlay: its cross references must resolve.
        if any(d.get("kind") == "Namespace" for d in docs):
            check_references(docs, path, report)
    for kind, wheres in sorted(report.skipped.items()):
        print(f"  notice: schema skipped for {kind}: no schema in kubernetes-validate ({len(wheres)} object(s))")
    print(f"  {documents} objects: {report.validated} schema-validated strictly against Kubernetes "
          f"{', '.join(versions)}, {sum(len(w) for w in report.skipped.values())} CRD objects skipped")
    for error in report.errors:
        print(f"  FAIL {error}", file=sys.stderr)
    return 1 if report.errors or documents == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
