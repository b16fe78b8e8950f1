import json, decimal, sqlite3, asyncio, email.parser, xml.etree.ElementTree, unittest, argparse
import csv, hashlib, ctypes, zlib, bz2, lzma, datetime, fractions, statistics, pickle, tarfile, zipfile
data = {str(i): [i, str(i) * 3] for i in range(200000)}
text = json.dumps(data)
blobs = [bytearray(1 << 20) for _ in range(32)]
del blobs
grow = bytearray()
for _ in range(200):
    grow.extend(b"x" * 65536)
del grow, data, text
