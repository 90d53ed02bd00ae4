"""Checks Scalelab's AWS exports with AWS's own tooling, offline.

For each built-in scenario given:
- JSON export: botocore's bundled service models validate every request body;
- CLI export: the script runs under bash with a stand-in `aws` on PATH that parses each
  --cli-input-json and validates it with botocore (quoting and ARN wiring included);
- boto3 export: the script runs against moto (mock_aws), which must then describe what it made;
- CloudFormation export: cfn-lint passes the template.

Usage: python check_exports.py <scalelab binary> <example>...
Prints one line per check and a closing "N passed, N failed, N skipped" line; exits 1 on any
failure. moto is skipped, with the reason, for inference-component targets, which its bundled list
of scalable dimensions does not know yet.
"""
import json
import os
import runpy
import subprocess
import sys
import tempfile

import botocore.session
from botocore.validate import ParamValidator

SESSION = botocore.session.get_session()
OPS = {
    ("application-autoscaling", "register-scalable-target"): "RegisterScalableTarget",
    ("application-autoscaling", "put-scaling-policy"): "PutScalingPolicy",
    ("application-autoscaling", "put-scheduled-action"): "PutScheduledAction",
    ("cloudwatch", "put-metric-alarm"): "PutMetricAlarm",
    ("sagemaker", "update-endpoint-weights-and-capacities"): "UpdateEndpointWeightsAndCapacities",
}
FAKE_ARN = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:00000000-0000-0000-0000-000000000000:resource/sagemaker/endpoint/x/variant/y:policyName/fake"


def validate(service, operation, params):
    model = SESSION.get_service_model(service).operation_model(operation)
    report = ParamValidator().validate(params, model.input_shape)
    if report.has_errors():
        raise AssertionError(f"{service} {operation}: {report.generate_report()}")


def export(cli, name, fmt):
    return subprocess.run([cli, "export", "--example", name, "--format", fmt], check=True, capture_output=True, text=True).stdout


def check_json(cli, name):
    data = json.loads(export(cli, name, "json"))
    scaling = data.get("scaling", {})
    count = 0
    for key, service in [("RegisterScalableTarget", "application-autoscaling"), ("PutScalingPolicy", "application-autoscaling"),
                         ("PutScheduledAction", "application-autoscaling"), ("PutMetricAlarm", "cloudwatch")]:
        for body in scaling.get(key, []):
            validate(service, key, body)
            count += 1
    for change in data.get("capacityChanges", []):
        call = change.get("UpdateEndpointWeightsAndCapacities")
        if call:
            validate("sagemaker", "UpdateEndpointWeightsAndCapacities", call)
            count += 1
    return f"{count} request bodies valid for botocore"


AWS_SHIM = r'''#!/usr/bin/env python3
import json, sys
sys.path[:0] = json.loads(%r)
sys.argv[0] = "aws"
from check_exports import OPS, FAKE_ARN, validate
args = sys.argv[1:]
service, command = args[0], args[1]
body = json.loads(args[args.index("--cli-input-json") + 1])
validate(service, OPS[(service, command)], body)
if command == "put-metric-alarm":
    assert FAKE_ARN in body.get("AlarmActions", []), body
with open(%r, "a") as log:
    log.write(f"{service} {command}\n")
if "--query" in args:
    print(FAKE_ARN)
'''


def check_cli(cli, name):
    script = export(cli, name, "cli")
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "calls.log")
        shim = os.path.join(d, "aws")
        with open(shim, "w") as f:
            f.write(f"#!{sys.executable}\n" + AWS_SHIM.split("\n", 1)[1] % (json.dumps([os.path.dirname(os.path.abspath(__file__))] + sys.path), log))
        os.chmod(shim, 0o755)
        path = os.path.join(d, "export.sh")
        with open(path, "w") as f:
            f.write(script)
        subprocess.run(["bash", path], check=True, env={**os.environ, "PATH": d + os.pathsep + os.environ["PATH"]})
        calls = open(log).read().splitlines() if os.path.exists(log) else []
    return f"{len(calls)} aws commands ran and validated"


def check_boto3(cli, name):
    from moto import mock_aws
    import boto3

    scaling = json.loads(export(cli, name, "json")).get("scaling", {})
    if any(t["ScalableDimension"].startswith("sagemaker:inference-component:") for t in scaling.get("RegisterScalableTarget", [])):
        compile(export(cli, name, "boto3"), f"{name}.py", "exec")  # at least valid Python
        raise Skip(f"moto {moto_version()} predates inference-component scalable dimensions (botocore's model accepts them)")
    script = export(cli, name, "boto3")
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    expected = json.loads(export(cli, name, "json")).get("scaling", {})
    with tempfile.TemporaryDirectory() as d, mock_aws():
        path = os.path.join(d, "export.py")
        with open(path, "w") as f:
            f.write(script)
        runpy.run_path(path)
        aas = boto3.client("application-autoscaling")
        targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
        actions = aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"]
        alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
        want = [len(expected.get(k, [])) for k in ("RegisterScalableTarget", "PutScalingPolicy", "PutScheduledAction")]
        got = [len(targets), len(policies), len(actions)]
        assert got == want, f"moto holds {got} targets/policies/scheduled actions, the export made {want}"
        user_alarms = [a for a in alarms if not a["AlarmName"].startswith("TargetTracking-")]
        assert len(user_alarms) == len(expected.get("PutMetricAlarm", [])), alarms
        for a in user_alarms:
            assert all(arn.startswith("arn:aws:autoscaling:") for arn in a["AlarmActions"]), a["AlarmActions"]
    return f"moto accepted {sum(want)} calls and {len(user_alarms)} alarms"


class Skip(Exception):
    """A check that cannot run for this scenario, with the reason."""


def moto_version():
    import importlib.metadata
    return importlib.metadata.version("moto")


def check_cloudformation(cli, name):
    if "scaling" not in json.loads(export(cli, name, "json")):
        return "no template: the scenario has on-demand calls only"
    template = export(cli, name, "cloudformation")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "template.json")
        with open(path, "w") as f:
            f.write(template)
        cfn_lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
        out = subprocess.run([cfn_lint, path], capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(out.stdout + out.stderr)
    return f"cfn-lint passes {len(json.loads(template)['Resources'])} resources"


def main():
    cli, names = sys.argv[1], sys.argv[2:]
    passed = failed = skipped = 0
    for name in names:
        for check in (check_json, check_cli, check_boto3, check_cloudformation):
            label = f"{name}: {check.__name__.removeprefix('check_')}"
            try:
                print(f"ok   {label}: {check(cli, name)}", flush=True)
                passed += 1
            except Skip as e:
                print(f"skip {label}: {e}", flush=True)
                skipped += 1
            except Exception as e:  # report every failure, then fail the run
                print(f"FAIL {label}: {e}", flush=True)
                failed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
