"""SciPy peer of bench/fit: re-solves each stage of our staged fit with
scipy.optimize.least_squares from the same starts, with the same model, residuals, bounds and
objective, and reports both final objectives (evaluated here by one function) and its time.

It also starts least_squares from our own solution of each stage (same objective, same
bounds): if it lowers the cost from there, our solver stopped before a stationary point.

Usage: /usr/bin/python3 bench/fit/scipy_peer.py PROBLEM.json [--repeats R] [--check] [--from-ours-only]
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy.optimize import least_squares

NAMES = ["A", "alpha", "B", "beta", "E", "gammaW", "nW", "gammaA", "nA", "gammaKV", "nKV",
         "CT", "gammaD", "gammaN", "gammaPost", "bPost", "Cw", "Ca", "Ckv"]
IX = {n: i for i, n in enumerate(NAMES)}
GAMMA = [IX["gammaW"], IX["gammaA"], IX["gammaKV"]]
OFFSET = [IX["nW"], IX["nA"], IX["nKV"]]
ROBUST = [IX["Cw"], IX["Ca"], IX["Ckv"]]
INFEASIBLE = 10.0


class Table:
    def __init__(self, cols):
        self.logN = np.log(np.asarray(cols["N"], float))
        self.logD = np.log(np.asarray(cols["D"], float))
        self.bits = [np.asarray(cols[k], float) for k in ("w", "a", "kv")]
        self.post = np.array([np.nan if p is None else p for p in cols["post"]], float)
        self.train = np.array([np.nan if x is None else x for x in cols["trainLoss"]], float)
        self.logObs = np.log(np.asarray(cols["loss"], float))
        self.n = len(self.logObs)
        # The joint refinement's degradation rows ("split" mode): predicted on the observed
        # end-of-training loss, their log-loss residual weighted.
        self.observed = np.asarray(cols.get("observedTrain", [0] * self.n), bool)
        self.weight = np.asarray(cols.get("weight", [1.0] * self.n), float)


def predict(v, t, mode, want_grad):
    """The unified law for every point, and d(prediction)/d(constant) (n x 19) when asked."""
    n = t.n
    grad = np.zeros((n, len(NAMES))) if want_grad else None
    logNeff = t.logN.copy()
    ok = np.ones(n, bool)
    dlog = {}
    with np.errstate(all="ignore"):
        for k in range(3):
            g, o, b = v[GAMMA[k]], v[OFFSET[k]], t.bits[k]
            e = np.exp(-b / g + o)
            f = 1 - e
            ok &= f > 0
            logNeff += np.log(np.where(f > 0, f, 1.0))
            dlog[GAMMA[k]] = (-e * b) / (g * g) / f
            dlog[OFFSET[k]] = -e / f
        if mode == "ptq":
            value = t.train.copy()
        else:
            t1 = v[IX["A"]] * np.exp(-v[IX["alpha"]] * logNeff)
            t2 = v[IX["B"]] * np.exp(-v[IX["beta"]] * t.logD)
            value = t1 + t2 + v[IX["E"]]
            if want_grad:
                grad[:, IX["A"]] = t1 / v[IX["A"]]
                grad[:, IX["alpha"]] = -t1 * logNeff
                grad[:, IX["B"]] = t2 / v[IX["B"]]
                grad[:, IX["beta"]] = -t2 * t.logD
                grad[:, IX["E"]] = 1.0
                for c, d in dlog.items():
                    grad[:, c] += -v[IX["alpha"]] * t1 * d
            if mode == "split":
                value = np.where(t.observed, t.train, value)
                if want_grad:
                    grad[t.observed, :] = 0.0
        if mode != "train":
            has = np.where(np.isnan(t.post), False, t.post < t.bits[0])
            post = np.where(has, t.post, 0.0)
            parts = []
            for k in range(3):
                gap = t.bits[k] - post
                parts.append((1 - np.exp(-v[ROBUST[k]] * gap), gap))
            robust = parts[0][0] * parts[1][0] * parts[2][0]
            delta = v[IX["CT"]] * np.exp(-post / v[IX["gammaPost"]] + v[IX["bPost"]] + v[IX["gammaD"]] * t.logD - v[IX["gammaN"]] * logNeff) * robust
            delta = np.where(has, delta, 0.0)
            value = value + delta
            if want_grad:
                grad[:, IX["CT"]] += delta / v[IX["CT"]]
                grad[:, IX["gammaPost"]] += delta * post / v[IX["gammaPost"]] ** 2
                grad[:, IX["bPost"]] += delta
                grad[:, IX["gammaD"]] += delta * t.logD
                grad[:, IX["gammaN"]] += -delta * logNeff
                for k in range(3):
                    rk, gap = parts[k]
                    safe = np.where(rk != 0, rk, 1.0)
                    grad[:, ROBUST[k]] += np.where(rk != 0, delta / safe * np.exp(-v[ROBUST[k]] * gap) * gap, 0.0)
                for c, d in dlog.items():
                    grad[:, c] += -v[IX["gammaN"]] * delta * d
    value = np.where(ok, value, np.nan)
    return value, grad


class Stage:
    def __init__(self, spec):
        self.spec = spec
        self.t = Table(spec["points"])
        self.mode = spec["mode"]
        self.base = np.asarray(spec["base"], float)
        self.free = spec["free"]
        self.lower = np.array([p["lower"] for p in self.free], float)
        self.upper = np.array([p["upper"] for p in self.free], float)
        self.delta = spec["delta"]

    def constants(self, x):
        v = self.base.copy()
        for j, p in enumerate(self.free):
            value = np.exp(x[j]) if p["transform"] == "log" else x[j]
            for name in p["names"]:
                v[IX[name]] = value
        return v

    def to_free(self, v):
        return np.array([np.log(v[IX[p["names"][0]]]) if p["transform"] == "log" else v[IX[p["names"][0]]] for p in self.free])

    def residuals(self, x):
        pred, _ = predict(self.constants(x), self.t, self.mode, False)
        with np.errstate(all="ignore"):
            r = self.t.weight * (np.log(pred) - self.t.logObs)
        return np.where(pred > 0, r, INFEASIBLE)

    def jacobian(self, x):
        pred, grad = predict(self.constants(x), self.t, self.mode, True)
        good = pred > 0
        scale = np.where(good, self.t.weight / np.where(good, pred, 1.0), 0.0)
        J = np.zeros((self.t.n, len(self.free)))
        for j, p in enumerate(self.free):
            col = sum(grad[:, IX[name]] for name in p["names"])
            chain = np.exp(x[j]) if p["transform"] == "log" else 1.0
            J[:, j] = np.where(good, scale * col * chain, 0.0)
        return J

    def cost(self, x, loss):
        r = np.abs(self.residuals(x))
        d = self.delta
        rho = np.where((loss == "huber") & (r > d), 2 * d * r - d * d, r * r)
        return 0.5 * float(np.sum(rho))


def solve(stage, loss):
    """Least squares from every start; for Huber, the two best refitted under Huber."""
    tol = dict(ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=1000)
    nfev = 0
    solutions = []
    for s in stage.spec["starts"]:
        # least_squares needs a start strictly inside the bounds.
        x0 = np.clip(np.asarray(s, float), stage.lower + 1e-9 * (stage.upper - stage.lower), stage.upper - 1e-9 * (stage.upper - stage.lower))
        sol = least_squares(stage.residuals, x0, jac=stage.jacobian, bounds=(stage.lower, stage.upper), method="trf", loss="linear", **tol)
        nfev += sol.nfev
        solutions.append(sol.x)
    solutions.sort(key=lambda x: stage.cost(x, "squares"))
    if loss != "huber":
        return solutions[0], nfev
    robust = []
    for x0 in solutions[:2]:
        x0 = np.clip(x0, stage.lower + 1e-9 * (stage.upper - stage.lower), stage.upper - 1e-9 * (stage.upper - stage.lower))
        sol = least_squares(stage.residuals, x0, jac=stage.jacobian, bounds=(stage.lower, stage.upper), method="trf", loss="huber", f_scale=stage.delta, **tol)
        nfev += sol.nfev
        robust.append(sol.x)
    return min(robust, key=lambda x: stage.cost(x, "huber")), nfev


def from_ours(stage, loss):
    """least_squares started from our solution, with our objective and bounds: what it still gains."""
    before = stage.to_free(np.asarray(stage.spec["ours"], float))
    span = stage.upper - stage.lower
    x0 = np.clip(before, stage.lower + 1e-9 * span, stage.upper - 1e-9 * span)
    tol = dict(ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=1000)
    kind = dict(loss="huber", f_scale=stage.delta) if loss == "huber" else dict(loss="linear")
    sol = least_squares(stage.residuals, x0, jac=stage.jacobian, bounds=(stage.lower, stage.upper), method="trf", **kind, **tol)
    x = sol.x if stage.cost(sol.x, loss) < stage.cost(before, loss) else before
    moved = {"/".join(p["names"]): [float(before[j]), float(x[j])] for j, p in enumerate(stage.free) if abs(x[j] - before[j]) > 1e-3 * max(1.0, abs(before[j]))}
    return {"cost": stage.cost(x, loss), "moved": moved}


def check(stage):
    """Analytic Jacobian against central differences at our solution."""
    x = stage.to_free(np.asarray(stage.spec["ours"], float))
    J = stage.jacobian(x)
    h = 1e-6
    num = np.column_stack([(stage.residuals(x + h * e) - stage.residuals(x - h * e)) / (2 * h) for e in np.eye(len(x))])
    return float(np.max(np.abs(J - num)) / max(1e-12, float(np.max(np.abs(num)))))


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
    specs = json.load(open(path))
    out = []
    for spec in specs:
        stage = Stage(spec)
        loss = spec["loss"]
        ours = stage.to_free(np.asarray(spec["ours"], float))
        fo = from_ours(stage, loss)
        if "--from-ours-only" in sys.argv:
            out.append({"name": spec["name"], "oursCost": stage.cost(ours, loss), "oursReportedCost": spec["oursCost"], "fromOurs": fo})
            continue
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            x, nfev = solve(stage, loss)
            times.append(time.perf_counter() - t0)
        row = {"name": spec["name"], "seconds": sorted(times)[len(times) // 2], "nfev": nfev,
               "scipyCost": stage.cost(x, loss), "oursCost": stage.cost(ours, loss), "oursReportedCost": spec["oursCost"], "fromOurs": fo}
        if "--check" in sys.argv:
            row["jacobianRelError"] = check(stage)
        out.append(row)
    versions = f"Python {sys.version.split()[0]}, SciPy {scipy.__version__}, NumPy {np.__version__}"
    print(json.dumps({"stages": out, "versions": versions}))


main()
