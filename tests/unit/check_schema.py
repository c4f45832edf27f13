#!/usr/bin/python3
"""check_schema.py SRCDIR - validate policies against policies/policy.schema.json.

Every shipped profile (policies/*.json) and every good test policy
(tests/cases/data/policy/good-*.json) must pass; the bad policies listed in
SCHEMA_REJECTS, and the inline documents in INLINE_REJECTS, must fail. Bad
files the schema cannot see (JSON syntax, duplicate keys, extends cycles)
are the loader's business and are left out on purpose.

Runs with Debian's python3 and its python3-jsonschema package.
"""
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("FAIL: the Python module 'jsonschema' is missing; "
          "install it with: apt-get install python3-jsonschema")
    sys.exit(1)

# Bad test policies whose fault is visible to the schema.
SCHEMA_REJECTS = [
    "bad-typo.json",      # unknown key
    "bad-size.json",      # unknown size unit
    "bad-duration.json",  # a duration without a unit
    "bad-mode.json",      # unknown network mode
    "bad-type.json",      # a number where a string goes
    "bad-rule.json",      # rule without its closing parenthesis
    "bad-env.json",       # variable name with a '-'
]

INLINE_REJECTS = [
    {"filesystem": {"read": "."}},
    {"filesystem": {"read": [""]}},
    {"filesystem": {"read": ["~bob/x"]}},
    {"network": {"mode": "proxy", "allow": ["http://x.com"]}},
    {"limits": {"memory": "1.5"}},
    {"limits": {"memory": "-1GiB"}},
    {"limits": {"memory": "1gib"}},
    {"limits": {"processes": 0}},
    {"limits": {"processes": 1.5}},
    {"limits": {"open_files": 2}},
    {"limits": {"timeout": "1.5h"}},
    {"limits": {"timeout": "30m1h"}},
    {"limits": {"timeout": "120"}},
    {"env": {"set": {"1X": "y"}}},
    {"env": {"set": {"HOME": 1}}},
    {"rules": {"default": "maybe"}},
    {"rules": {"allow": [True]}},
    {"rules": {"allow": ["exec()"]}},
    {"rules": {"allow": ["ex ec"]}},
    {"rules": {"ask": [{"hint": "no match"}]}},
    {"rules": {"ask": [{"match": "x", "network": {"allow": ["a.com"]}}]}},
    {"rules": {"ask": [{"match": "x", "examples": {"matches": []}}]}},
    {"checkpoint": {"keep": 0}},
    {"checkpoint": {"exclude": [""]}},
    {"extends": ""},
    {"description": 3},
]

INLINE_ACCEPTS = [
    {},
    {"limits": {"memory": 1073741824, "timeout": "500ms", "tmp": "1 GiB"}},
    {"limits": {"timeout": "1d2h3m4s5ms", "output": "4096"}},
    {"checkpoint": {"max_age": "14d", "max_file_size": "10MB"}},
    {"rules": {"deny": [{"match": "exec(rm -rf $(x))", "hint": "no"}]}},
]


def strip_comments(text):
    """Remove // and /* */ comments outside strings; keep line structure."""
    out = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ValueError("unterminated comment")
            out.append("\n" * text.count("\n", i, end))
            i = end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load(path):
    return json.loads(strip_comments(path.read_text(encoding="utf-8")))


def main():
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    policies = src / "policies"
    data = src / "tests" / "cases" / "data" / "policy"
    schema = json.loads((policies / "policy.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    checked = 0

    def expect(name, doc, ok):
        nonlocal failures, checked
        checked += 1
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if ok and errors:
            failures += 1
            print(f"FAIL: {name} should pass: {errors[0].message} "
                  f"(at {'/'.join(map(str, errors[0].path)) or 'top'})")
        elif not ok and not errors:
            failures += 1
            print(f"FAIL: {name} should be rejected by the schema")

    profiles = sorted(p for p in policies.glob("*.json") if p.name != "policy.schema.json")
    if not profiles:
        print(f"FAIL: no shipped profiles in {policies}")
        return 1
    for path in profiles:
        expect(f"policies/{path.name}", load(path), True)
    goods = sorted(data.glob("good-*.json"))
    if not goods:
        print(f"FAIL: no good-*.json in {data}")
        return 1
    for path in goods:
        expect(f"data/policy/{path.name}", load(path), True)
    for name in SCHEMA_REJECTS:
        expect(f"data/policy/{name}", load(data / name), False)
    for i, doc in enumerate(INLINE_REJECTS):
        expect(f"inline reject #{i} {json.dumps(doc)}", doc, False)
    for i, doc in enumerate(INLINE_ACCEPTS):
        expect(f"inline accept #{i} {json.dumps(doc)}", doc, True)

    # The comment stripper itself: comment markers inside strings stay.
    sample = '{"a": "x//y", /* c */ "b": "/*z*/" // d\n}'
    if json.loads(strip_comments(sample)) != {"a": "x//y", "b": "/*z*/"}:
        failures += 1
        print("FAIL: strip_comments broke a string")

    print(f"{checked} documents checked, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
