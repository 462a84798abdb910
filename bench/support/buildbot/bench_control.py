# Benchmark control surface for a Buildbot 3.7 master, loaded by master.cfg (configuration only;
# the master's code is untouched). On one loopback port it serves:
#   * /change_hook/base: Buildbot's own ChangeHookResource (buildbot.www.change_hook), base dialect,
#     so change POSTs go through the same code as a master with www;
#   * GET /stats: build counters and epoch timestamps taken from the master's message queue
#     (builds.*.new / builds.*.finished), the same events the mastro side counts;
#   * GET /stdio?buildid=N: the logid of the build's first stdio log;
#   * GET /raw?logid=N: the log through the data API's /logs/N/raw endpoint, written as the body.
# It writes ready.json (ports chosen by the kernel) once the master is running; the loopback port and
# ready.json come from loopback_control.py (test/fixtures/buildbot-common/), shared with the interop test.
import json
import time

from twisted.internet import defer
from twisted.web import resource

from buildbot.www.change_hook import ChangeHookResource

from loopback_control import LoopbackControl
from loopback_control import respond_when_done


class _ChangeHook(ChangeHookResource):
    # Without c['www'] there is no www service to register reconfigurable resources with; the
    # dialects are fixed here, so nothing needs reconfiguring.
    needsReconfig = False


def _json(request, obj):
    request.setHeader(b'content-type', b'application/json')
    return json.dumps(obj).encode()


class _Get(resource.Resource):
    """GET answered by fn(request): bytes, or a Deferred firing with bytes."""
    isLeaf = True

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def render_GET(self, request):
        return respond_when_done(request, defer.maybeDeferred(self.fn, request))


class BenchControl(LoopbackControl):
    name = 'bench-control'

    @defer.inlineCallbacks
    def make_root(self):
        self.stats = {'started': 0, 'finished': 0, 'results': {}, 'lastBuildid': None,
                      'lastStartedAt': None, 'lastFinishedAt': None}
        self.consumers = [
            (yield self.master.mq.startConsuming(self._on_new, ('builds', None, 'new'))),
            (yield self.master.mq.startConsuming(self._on_finished, ('builds', None, 'finished'))),
        ]
        root = resource.Resource()
        root.putChild(b'change_hook', _ChangeHook(dialects={'base': {}}, master=self.master))
        root.putChild(b'stats', _Get(lambda request: _json(request, self.stats)))
        root.putChild(b'stdio', _Get(self._stdio))
        root.putChild(b'raw', _Get(self._raw))
        return root

    @defer.inlineCallbacks
    def stopService(self):
        for c in getattr(self, 'consumers', []):
            c.stopConsuming()
        yield super().stopService()

    def _on_new(self, key, msg):
        self.stats['started'] += 1
        self.stats['lastStartedAt'] = time.time() * 1000

    def _on_finished(self, key, msg):
        s = self.stats
        s['finished'] += 1
        s['lastFinishedAt'] = time.time() * 1000
        s['lastBuildid'] = msg['buildid']
        r = str(msg.get('results'))
        s['results'][r] = s['results'].get(r, 0) + 1

    @defer.inlineCallbacks
    def _stdio(self, request):
        buildid = int(request.args[b'buildid'][0])
        # Step 0 is Buildbot's own worker_preparation; take the first step that has a stdio log.
        stps = yield self.master.data.get(('builds', buildid, 'steps'))
        for st in stps:
            logs = yield self.master.data.get(('steps', st['stepid'], 'logs'))
            stdio = [l for l in logs if l['slug'] == 'stdio']
            if stdio:
                return _json(request, {'logid': stdio[0]['logid']})
        return _json(request, {'logid': None})

    @defer.inlineCallbacks
    def _raw(self, request):
        logid = int(request.args[b'logid'][0])
        raw = yield self.master.data.get(('logs', logid, 'raw'))
        request.setHeader(b'content-type', b'text/plain; charset=utf-8')
        return raw['raw'].encode('utf-8')
