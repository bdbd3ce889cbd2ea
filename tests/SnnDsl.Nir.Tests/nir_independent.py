"""An independent NIR writer and reader for the tests, on Debian's python3-h5py and numpy (no SnnDsl code).

write DIR: writes DIR/spiking.nir (Input -> Affine -> LIF -> Linear -> CubaLIF -> Affine -> IF -> Output) and
DIR/continuous.nir (Input -> Affine -> LI -> I -> Output) in nir.write's layout (version string, node group
with type, nodes, edges; float32 arrays with gzip; int64 shapes; variable-length UTF-8 strings), each with
DIR/<name>.x.csv (inputs, one row per step) and DIR/<name>.expected.csv: the outputs that NIR's equations give
by forward Euler with dt = 0.5 (charge, spike when v >= v_threshold, reset to v_reset; CubaLIF's current
first, then the membrane with the new current).

check FILE: reads FILE the way nir.read does (hdf2dict of the node group, then each node's fields by type)
and prints one line per node: name, type, and the shapes of its fields; exits 1 on anything nir.read rejects.
"""
import sys
import h5py
import numpy as np

DT = 0.5
STRING = h5py.string_dtype()


def write_node(group, node):
    for key, value in node.items():
        if isinstance(value, str):
            group.create_dataset(key, data=value, dtype=STRING)
        elif isinstance(value, np.ndarray):
            group.create_dataset(key, data=value, dtype=value.dtype, compression="gzip")
        elif isinstance(value, dict):
            write_node(group.create_group(key), value)
        else:
            group.create_dataset(key, data=value)


def write_graph(path, nodes, edges):
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.0", dtype=STRING)
        write_node(f.create_group("node"), {"type": "NIRGraph", "nodes": nodes, "edges": edges})


def f32(a):
    return np.asarray(a, dtype=np.float32)


def csv(path, rows, header):
    with open(path, "w") as out:
        out.write(",".join(header) + "\n")
        for row in rows:
            out.write(",".join(repr(float(v)) for v in row) + "\n")


def spiking(directory, rng):
    w1, b1 = f32(rng.normal(0, 0.8, (4, 3))), f32(rng.normal(0.2, 0.2, 4))
    tau, r, vl = f32([1.5, 2.0, 3.0, 4.0]), f32([1.0, 1.2, 0.8, 1.5]), f32([0.0, 0.1, -0.1, 0.0])
    vth, vr = f32([1.0, 0.8, 1.2, 0.9]), f32([0.0, 0.0, 0.1, -0.2])
    w2 = f32(rng.normal(0.8, 0.5, (3, 4)))
    ts, tm, cr = f32([1.0, 2.0, 1.5]), f32([2.0, 3.0, 2.5]), f32([1.0, 1.5, 2.0])
    cvl, cth, cvr, win = f32([0.0, 0.05, 0.0]), f32([0.5, 0.6, 0.4]), f32([0.0, 0.0, 0.05]), f32([1.0, 2.0, 1.5])
    w3, b3 = f32(rng.normal(1.2, 0.4, (2, 3))), f32([0.3, 0.2])
    ir, ith, ivr = f32([1.0, 2.0]), f32([1.0, 1.5]), f32([0.0, 0.2])
    nodes = {
        "input": {"type": "Input", "shape": np.array([3])},
        "fc1": {"type": "Affine", "weight": w1, "bias": b1},
        "lif": {"type": "LIF", "tau": tau, "r": r, "v_leak": vl, "v_threshold": vth, "v_reset": vr},
        "fc2": {"type": "Linear", "weight": w2},
        "cuba": {"type": "CubaLIF", "tau_syn": ts, "tau_mem": tm, "r": cr, "v_leak": cvl, "v_threshold": cth,
                 "v_reset": cvr, "w_in": win},
        "fc3": {"type": "Affine", "weight": w3, "bias": b3},
        "if": {"type": "IF", "r": ir, "v_threshold": ith, "v_reset": ivr},
        "output": {"type": "Output", "shape": np.array([2])},
    }
    edges = [("cuba", "fc3"), ("input", "fc1"), ("fc1", "lif"), ("lif", "fc2"), ("fc2", "cuba"),
             ("fc3", "if"), ("if", "output")]
    write_graph(f"{directory}/spiking.nir", nodes, edges)
    steps = 60
    x = rng.uniform(0.0, 1.5, (steps, 3))
    v1, v2, i2, v3 = np.zeros(4), np.zeros(3), np.zeros(3), np.zeros(2)
    d = lambda a: a.astype(np.float64)
    out = []
    for t in range(steps):
        h = v1 + DT / d(tau) * ((d(vl) - v1) + d(r) * (d(w1) @ x[t] + d(b1)))
        s1 = (h >= d(vth)).astype(float)
        v1 = np.where(s1 > 0, d(vr), h)
        i2 = i2 + DT / d(ts) * (d(win) * (d(w2) @ s1) - i2)
        h = v2 + DT / d(tm) * ((d(cvl) - v2) + d(cr) * i2)
        s2 = (h >= d(cth)).astype(float)
        v2 = np.where(s2 > 0, d(cvr), h)
        h = v3 + DT * d(ir) * (d(w3) @ s2 + d(b3))
        s3 = (h >= d(ith)).astype(float)
        v3 = np.where(s3 > 0, d(ivr), h)
        out.append(s3)
    csv(f"{directory}/spiking.x.csv", x, ["x0", "x1", "x2"])
    csv(f"{directory}/spiking.expected.csv", out, ["out0", "out1"])
    return sum(map(sum, out))


def continuous(directory, rng):
    w, b = f32(rng.normal(0, 1, (2, 3))), f32([0.5, -0.5])
    tau, r, vl = f32([2.0, 4.0]), f32([1.0, 0.5]), f32([0.2, -0.1])
    ir = f32([0.3, 1.5])
    nodes = {
        "in": {"type": "Input", "shape": np.array([3])},
        "aff": {"type": "Affine", "weight": w, "bias": b},
        "li": {"type": "LI", "tau": tau, "r": r, "v_leak": vl},
        "integrator": {"type": "I", "r": ir},
        "out": {"type": "Output", "shape": np.array([2])},
    }
    write_graph(f"{directory}/continuous.nir", nodes, [("in", "aff"), ("aff", "li"), ("li", "integrator"), ("integrator", "out")])
    steps = 20
    x = rng.normal(0, 1, (steps, 3))
    v, u, out = np.zeros(2), np.zeros(2), []
    for t in range(steps):
        v = v + DT / tau * ((vl - v) + r * (w.astype(float) @ x[t] + b))
        u = u + DT * ir * v
        out.append(u.copy())
    csv(f"{directory}/continuous.x.csv", x, ["x0", "x1", "x2"])
    csv(f"{directory}/continuous.expected.csv", out, ["out0", "out1"])


FIELDS = {
    "Input": ["shape"], "Output": ["shape"], "Affine": ["weight", "bias"], "Linear": ["weight"],
    "Conv2d": ["weight", "bias", "stride", "padding", "dilation", "groups"],
    "Flatten": ["start_dim", "end_dim"], "AvgPool2d": ["kernel_size", "stride", "padding"],
    "SumPool2d": ["kernel_size", "stride", "padding"], "I": ["r"], "LI": ["tau", "r", "v_leak"],
    "IF": ["r", "v_threshold"], "LIF": ["tau", "r", "v_leak", "v_threshold"],
    "CubaLIF": ["tau_syn", "tau_mem", "r", "v_leak", "v_threshold"], "NIRGraph": ["nodes", "edges"],
}


def hdf2dict(node):
    out = {}
    for key, item in node.items():
        if isinstance(item, h5py.Group):
            out[key] = hdf2dict(item)
        else:
            value = item[()]
            out[key] = value.decode("utf8") if isinstance(value, bytes) else value
    return out


def check(path):
    with h5py.File(path, "r") as f:
        version = f["version"][()].decode("utf8")
        graph = hdf2dict(f["node"])
    assert graph["type"] == "NIRGraph", graph["type"]
    edges = [(a.decode("utf8"), b.decode("utf8")) for a, b in graph["edges"]]
    print(f"version {version}; {len(graph['nodes'])} nodes; edges " + " ".join(f"{a}->{b}" for a, b in edges))
    for name, node in graph["nodes"].items():
        kind = node["type"]
        missing = [k for k in FIELDS[kind] if k not in node]
        assert not missing, f"{name}: {kind} lacks {missing}"
        shapes = " ".join(f"{k}={np.shape(v)}" for k, v in node.items() if k != "type")
        print(f"{name} {kind} {shapes}")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        rng = np.random.RandomState(7)
        total = spiking(sys.argv[2], rng)
        continuous(sys.argv[2], rng)
        print(f"wrote; {int(total)} output spikes")
    elif sys.argv[1] == "check":
        check(sys.argv[2])
