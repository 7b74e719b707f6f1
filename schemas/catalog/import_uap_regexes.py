#!/usr/bin/env python3
"""Converts uap-core's regexes, as shipped in the PyPI wheel `ua-parser-builtins`, to
`uap-regexes.json` (the structure of uap-core's regexes.yaml) for the `ua-parser` crate.

    pip download --no-deps ua-parser-builtins==202610 -d /tmp/w && unzip -o /tmp/w/*.whl -d /tmp/w
    python3 schemas/catalog/import_uap_regexes.py /tmp/w/ua_parser_builtins/regexes.py

The wheel's REVISION file names the uap-core commit (202610: 73e7340c).
"""
import json
import sys
import types
from pathlib import Path


def constructor(names):
    def make(*args):
        assert len(args) <= len(names), args
        return {k: v for k, v in zip(names, args) if v is not None}
    return make


def main(path):
    stub = types.ModuleType("ua_parser.user_agent_parser")
    stub.UserAgentParser = constructor(["regex", "family_replacement", "v1_replacement", "v2_replacement", "v3_replacement", "v4_replacement"])
    stub.OSParser = constructor(["regex", "os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement", "os_v4_replacement"])
    stub.DeviceParser = constructor(["regex", "regex_flag", "device_replacement", "brand_replacement", "model_replacement"])
    sys.modules["ua_parser"] = types.ModuleType("ua_parser")
    sys.modules["ua_parser.user_agent_parser"] = stub
    ns = {}
    exec(Path(path).read_text(), ns)
    out = {
        "user_agent_parsers": ns["USER_AGENT_PARSERS"],
        "os_parsers": ns["OS_PARSERS"],
        "device_parsers": ns["DEVICE_PARSERS"],
    }
    target = Path(__file__).resolve().parent / "uap-regexes.json"
    target.write_text(json.dumps(out, separators=(",", ":")))
    print({k: len(v) for k, v in out.items()})


if __name__ == "__main__":
    main(sys.argv[1])
