"""The benchmark's M/M/c reference scenario in SimPy, for a side-by-side comparison.

Poisson arrivals at RPS into one resource with C servers, exponential service; statistics are
streamed (no per-request storage), like Scalelab's engine. Prints one JSON line.
Usage: python mmc_simpy.py RPS SERVERS MEAN_SERVICE_S DURATION_S SEED
"""
import json
import random
import resource
import sys
import time

import simpy


def main():
    rps, servers, mean_s, duration, seed = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=servers)
    stats = {"requests": 0, "done": 0, "wait_sum": 0.0}

    def request(env):
        arrival = env.now
        with server.request() as req:
            yield req
            stats["wait_sum"] += env.now - arrival
            yield env.timeout(rng.expovariate(1.0 / mean_s))
        stats["done"] += 1

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(rps))
            if env.now >= duration:
                return
            stats["requests"] += 1
            env.process(request(env))

    env.process(source(env))
    events = 0
    started = time.perf_counter()
    while env.peek() <= duration:
        env.step()
        events += 1
    wall = time.perf_counter() - started
    print(json.dumps({
        "events": events,
        "wall_s": wall,
        "requests": stats["requests"],
        "mean_wait_ms": stats["wait_sum"] / max(stats["done"], 1) * 1000.0,
        "peak_memory_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "simpy": simpy.__version__,
    }))


if __name__ == "__main__":
    main()
