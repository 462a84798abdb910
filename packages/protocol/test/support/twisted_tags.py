"""The tagged JSON form the PB tests use to pass Python values (see twisted_peer.py)."""
import math


def from_tagged(t):
    (k, v), = t.items()
    if k == "b": return bytes.fromhex(v)
    if k == "s": return v
    if k == "i": return int(v)
    if k == "f": return float(v)
    if k == "B": return bool(v)
    if k == "n": return None
    if k == "l": return [from_tagged(x) for x in v]
    if k == "t": return tuple(from_tagged(x) for x in v)
    if k == "d": return {from_tagged(a): from_tagged(b) for a, b in v}
    if k == "set": return set(from_tagged(x) for x in v)
    if k == "shared":
        x = from_tagged(v)
        return [x, x]
    if k == "cycle":
        l = []
        l.append(l)
        return l
    if k == "dcycle":
        d = {}
        d["self"] = d
        return d
    raise ValueError(k)


def to_tagged(v):
    if isinstance(v, bool): return {"B": v}
    if v is None: return {"n": 1}
    if isinstance(v, bytes): return {"b": v.hex()}
    if isinstance(v, str): return {"s": v}
    if isinstance(v, int): return {"i": str(v)}
    if isinstance(v, float):
        if math.isnan(v): return {"f": "nan"}
        if math.isinf(v): return {"f": "inf" if v > 0 else "-inf"}
        return {"f": v}
    if isinstance(v, list): return {"l": [to_tagged(x) for x in v]}
    if isinstance(v, tuple): return {"t": [to_tagged(x) for x in v]}
    if isinstance(v, dict): return {"d": [[to_tagged(a), to_tagged(b)] for a, b in v.items()]}
    if isinstance(v, (set, frozenset)): return {"set": [to_tagged(x) for x in v]}
    return {"other": repr(v)}
