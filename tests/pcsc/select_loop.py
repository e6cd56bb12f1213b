#!/usr/bin/python3
"""Peer figure for the benchmarks: pyscard sends SELECT (no FCI) N times.

usage: select_loop.py READER N
Prints the median and 90th percentile round trip in microseconds: "median_us p90_us".
"""
import sys
import time

from smartcard.System import readers
from smartcard.util import toBytes

SELECT = toBytes("00A4040C08F04B475354415901")


def main():
    name, count = sys.argv[1], int(sys.argv[2])
    reader = next(r for r in readers() if str(r) == name)
    connection = reader.createConnection()
    connection.connect()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        _, sw1, sw2 = connection.transmit(SELECT)
        times.append(time.perf_counter() - start)
        if (sw1, sw2) != (0x90, 0x00):
            raise SystemExit(f"SELECT answered {sw1:02X}{sw2:02X}")
    times.sort()
    print(f"{times[len(times) // 2] * 1e6:.0f} {times[len(times) * 9 // 10] * 1e6:.0f}")


if __name__ == "__main__":
    main()
