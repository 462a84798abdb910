"""A Twisted PB server (PBServerFactory with a plain Root, no login) for the PB tests' client side.
Prints its port on the first line, serves until stdin closes. The root exposes:
  echo(*args, **kwargs) -> [args, kwargs]        fail() -> raises ValueError("root failed")
  lend() -> a Referenceable with remote_ping() -> "pong"
  callBack(ref, *args) -> what ref.callRemote("echo", *args) answered
  count() -> how many objects this broker lends right now (to see our decrefs arrive)
"""
import sys

from twisted.internet import reactor, stdio
from twisted.internet.protocol import Protocol
from twisted.spread import pb


class Pinger(pb.Referenceable):
    def remote_ping(self):
        return "pong"


class Root(pb.Root):
    def rootObject(self, broker):
        self.broker = broker
        return self

    def remote_echo(self, *args, **kwargs):
        return [list(args), kwargs]

    def remote_fail(self):
        raise ValueError("root failed")

    def remote_lend(self):
        return Pinger()

    def remote_callBack(self, ref, *args):
        return ref.callRemote("echo", *args)

    def remote_count(self):
        return len([k for k in self.broker.localObjects if not isinstance(k, bytes)])


class StopOnEOF(Protocol):
    def connectionLost(self, reason):
        reactor.stop()


port = reactor.listenTCP(0, pb.PBServerFactory(Root()), interface="127.0.0.1")
print(port.getHost().port, flush=True)
stdio.StandardIO(StopOnEOF())
reactor.run()
