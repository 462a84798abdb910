# Benchmark control surface for a Buildbot 3.7 master, loaded by master.cfg (configuration only;
# the master's code is untouched). On one loopback port it serves:
#   * /change_hook/base: Buildbot's own ChangeHookResource (buildbot.www.change_hook), base dialect,
#     so change POSTs go through the same code as a master with www;
#   * GET /stats: build counters and epoch timestamps taken from the master's message queue
#     (builds.*.new / builds.*.finished), the same events the mastro side counts;
#   * GET /stdio?buildid=N: the logid of the build's first stdio log;
#   * GET /raw?logid=N: the log through the data API's /logs/N/raw endpoint, written as the body.
# It writes ready.json (ports chosen by the kernel) once the master is running.
import json
import os
import time

from twisted.internet import defer, reactor, task
from twisted.web import resource, server

from buildbot.util import service
from buildbot.www.change_hook import ChangeHookResource


class _ChangeHook(ChangeHookResource):
    # Without c['www'] there is no www service to register reconfigurable resources with; the
    # dialects are fixed here, so nothing needs reconfiguring.
    needsReconfig = False


def _json(request, obj):
    request.setHeader(b'content-type', b'application/json')
    return json.dumps(obj).encode()


class _Stats(resource.Resource):
    isLeaf = True

    def __init__(self, control):
        super().__init__()
        self.control = control

    def render_GET(self, request):
        return _json(request, self.control.stats)


class _Async(resource.Resource):
    isLeaf = True

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def render_GET(self, request):
        d = defer.maybeDeferred(self.fn, request)

        def done(body):
            request.write(body)
            request.finish()

        def failed(f):
            request.setResponseCode(500)
            request.write(f'failed: {f.getErrorMessage()}\n'.encode())
            request.finish()

        d.addCallbacks(done, failed)
        return server.NOT_DONE_YET


class BenchControl(service.BuildbotService):
    name = 'bench-control'

    def checkConfig(self, ready_file):
        pass

    def reconfigService(self, ready_file):
        self.ready_file = ready_file

    @defer.inlineCallbacks
    def startService(self):
        yield super().startService()
        self.stats = {'started': 0, 'finished': 0, 'results': {}, 'lastBuildid': None,
                      'lastStartedAt': None, 'lastFinishedAt': None}
        self.consumers = [
            (yield self.master.mq.startConsuming(self._on_new, ('builds', None, 'new'))),
            (yield self.master.mq.startConsuming(self._on_finished, ('builds', None, 'finished'))),
        ]
        root = resource.Resource()
        root.putChild(b'change_hook', _ChangeHook(dialects={'base': {}}, master=self.master))
        root.putChild(b'stats', _Stats(self))
        root.putChild(b'stdio', _Async(self._stdio))
        root.putChild(b'raw', _Async(self._raw))
        self.port = reactor.listenTCP(0, server.Site(root), interface='127.0.0.1')
        self.watch = task.LoopingCall(self._write_ready_file_once_started)
        self.watch.start(0.05)

    @defer.inlineCallbacks
    def stopService(self):
        if getattr(self, 'watch', None) and self.watch.running:
            self.watch.stop()
        for c in self.consumers:
            c.stopConsuming()
        yield self.port.stopListening()
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

    def _worker_port(self):
        for registration in self.master.workers.registrations.values():
            if registration.msgpack_reg is not None:
                return registration.get_msgpack_port()
        return None

    def _write_ready_file_once_started(self):
        if not getattr(self.master, '_master_initialized', False):
            return
        worker_port = self._worker_port()
        if worker_port is None:
            return
        self.watch.stop()
        ready = {'workerPort': worker_port, 'controlPort': self.port.getHost().port, 'pid': os.getpid()}
        tmp = self.ready_file + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(ready, f)
        os.replace(tmp, self.ready_file)
