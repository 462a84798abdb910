"""A Twisted PB client (PBClientFactory.login, as `buildbot sendchange` and the worker use it) for the
PB tests. argv: PORT PLAN_JSON. The plan: {"user", "password", "calls": [{"method", "args", "kwargs"}]}
with values in the tagged form of twisted_tags.py. The client lends the server a mind exposing
remote_echo(*args, **kwargs) -> [args, kwargs] and remote_fail() (raises ValueError("mind failed")).
Prints one JSON line per call ({"ok": tagged} or {"error": {"type", "value", "parents"}}), then
{"login_error": ...} if the login failed, and exits when done.
"""
import json
import sys

from twisted.cred import credentials
from twisted.internet import defer, reactor
from twisted.spread import pb

from twisted_tags import from_tagged, to_tagged


class Mind(pb.Referenceable):
    def remote_echo(self, *args, **kwargs):
        return [list(args), kwargs]

    def remote_fail(self):
        raise ValueError("mind failed")


def failure_json(f):
    t = f.type
    return {"type": t.decode() if isinstance(t, bytes) else getattr(t, "__name__", str(t)),
            "value": str(f.value), "parents": [p.decode() if isinstance(p, bytes) else str(p) for p in getattr(f, "parents", [])]}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


@defer.inlineCallbacks
def calls(factory, persp, plan):
    for call in plan["calls"]:
        args = [from_tagged(a) for a in call.get("args", [])]
        kwargs = {k: from_tagged(v) for k, v in call.get("kwargs", {}).items()}
        try:
            result = yield persp.callRemote(call["method"], *args, **kwargs)
            emit({"ok": to_tagged(result) if not isinstance(result, pb.RemoteReference) else {"remote": 1}})
        except pb.RemoteError as e:
            t = e.remoteType
            emit({"error": {"type": t.decode() if isinstance(t, bytes) else t, "value": str(e)}})
    factory.disconnect()


def main():
    port = int(sys.argv[1])
    plan = json.loads(sys.argv[2])

    factory = pb.PBClientFactory()
    reactor.connectTCP("127.0.0.1", port, factory)
    d = factory.login(credentials.UsernamePassword(plan["user"].encode(), plan["password"].encode()), client=Mind())

    # The way buildbot-worker's AutoLoginPBFactory sees a refusal: the CopiedFailure itself, tested with check().
    def failed(f):
        emit({"login_error": dict(failure_json(f), unauthorized=f.check("twisted.cred.error.UnauthorizedLogin") is not None)})

    d.addCallbacks(lambda persp: calls(factory, persp, plan), failed)
    d.addErrback(lambda f: emit({"client_error": str(f)}))
    d.addBoth(lambda _: reactor.stop())
    reactor.run()


main()
