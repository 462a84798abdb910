"""Twisted's own banana and jelly, driven from the PB tests as the reference implementation.

Reads one JSON request on stdin: {"mode": ..., "cases": [...]}, writes {"results": [...]} on stdout.
Values travel in a tagged JSON form so bytes, text, tuples and big integers keep their Python type:
  {"b": hex} bytes   {"s": text} str   {"i": "123"} int   {"f": 1.5 | "nan" | "inf" | "-inf"} float
  {"B": true} bool   {"n": 1} None   {"l": [...]} list   {"t": [...]} tuple   {"d": [[k, v], ...]} dict
  {"set": [...]} set  {"other": repr} anything else (what our side must never produce)
Modes:
  banana-encode  cases: {"value": tagged, "dialect": "pb"|"none"}   -> hex
  banana-decode  cases: {"hex": ..., "dialect": ...}                -> tagged value, or {"error": text}
  jelly          cases: tagged value                                -> hex of banana(jelly(value)), pb dialect
  unjelly        cases: hex (pb dialect)                            -> tagged value, or {"error": text}
  failure        cases: {"exception": "module.Class", "message": text}  -> hex of the CopyableFailure
                 a Twisted broker sends for that exception
  check-failure  cases: {"hex": ..., "check": "module.Class"}       -> what a Twisted peer makes of a
                 failure we send: its type, message, printed traceback and Failure.check() result
Extra input tags for jelly: {"shared": v} is [v, v] holding one object twice; {"cycle": 1} is a list
that contains itself; {"dcycle": 1} a dict whose "self" entry is the dict.
"""
import io
import json
import sys

from twisted.python import failure, reflect
from twisted.spread import banana, jelly, pb

from twisted_tags import from_tagged, to_tagged


class Sink:
    def __init__(self): self.data = b""
    def write(self, b): self.data += b
    def loseConnection(self): pass


def make(dialect):
    b = banana.Banana(isClient=1)
    b.setPrefixLimit(banana._PREFIX_LIMIT)
    b.currentDialect = dialect.encode()
    b.transport = Sink()
    return b


def encode(value, dialect):
    b = make(dialect)
    b.sendEncoded(value)
    return b.transport.data.hex()


def decode(hexdata, dialect):
    b = make(dialect)
    out = []
    b.expressionReceived = out.append
    try:
        b.dataReceived(bytes.fromhex(hexdata))
    except Exception as e:
        return {"error": "%s: %s" % (type(e).__name__, e)}
    if len(out) != 1:
        return {"error": "%d expressions" % len(out)}
    return to_tagged(out[0])


def main():
    req = json.load(sys.stdin)
    mode, cases = req["mode"], req["cases"]
    results = []
    for c in cases:
        if mode == "banana-encode":
            results.append(encode(from_tagged(c["value"]), c["dialect"]))
        elif mode == "banana-decode":
            results.append(decode(c["hex"], c["dialect"]))
        elif mode == "jelly":
            results.append(encode(jelly.jelly(from_tagged(c)), "pb"))
        elif mode == "unjelly":
            d = decode(c, "pb")
            if "error" in d:
                results.append(d)
                continue
            b = make("pb")
            out = []
            b.expressionReceived = out.append
            b.dataReceived(bytes.fromhex(c))
            try:
                results.append(to_tagged(jelly.unjelly(out[0], jelly.globalSecurity)))
            except Exception as e:
                results.append({"error": "%s: %s" % (type(e).__name__, e)})
        elif mode == "failure":
            cls = reflect.namedAny(c["exception"])
            try:
                raise cls(c["message"])
            except Exception:
                f = failure.Failure()

            class Invoker:
                serializingPerspective = None
            results.append(encode(jelly.jelly(pb.failure2Copyable(f, 0), jelly.globalSecurity, None, Invoker()), "pb"))
        elif mode == "check-failure":
            b = make("pb")
            out = []
            b.expressionReceived = out.append
            b.dataReceived(bytes.fromhex(c["hex"]))
            f = jelly.unjelly(out[0], jelly.globalSecurity)
            printed = io.StringIO()
            f.printTraceback(printed)
            results.append({"class": reflect.qual(type(f)), "type": to_tagged(f.type), "message": f.getErrorMessage(),
                            "printed": printed.getvalue(), "check": f.check(c["check"]) is not None})
        else:
            raise ValueError(mode)
    json.dump({"results": results}, sys.stdout)


main()
