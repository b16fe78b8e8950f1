// The JVM under the LD_PRELOAD tool (run_real.sh copies this file to RealJava.java and compiles it
// with javac, itself run under the tool).
import java.io.*;
import java.nio.*;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.zip.CRC32;

/* Allocates heavily (arrays, collections, strings, direct and file-mapped buffers, threads)
 * and prints checksums of what it computed: the output must not depend on where memory is. */
public class RealJava {
    static long mix(long h, long v) { h ^= v; h *= 0x100000001b3L; return h; }

    public static void main(String[] args) throws Exception {
        long h = 0xcbf29ce484222325L;
        // Many short-lived arrays of mixed sizes, some large (humongous for G1).
        Random r = new Random(20150424);
        List<long[]> keep = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            int n = (i % 97 == 0) ? 1 << 20 : 1 + r.nextInt(4096);
            long[] a = new long[n];
            for (int k = 0; k < n; k += 7) a[k] = (long) k * i;
            h = mix(h, a[n - 1] + n);
            if (i % 50 == 0) keep.add(a);
            if (keep.size() > 30) keep.remove(0);
        }
        System.out.println("arrays " + Long.toHexString(h));
        // A large map and sorting.
        Map<Integer, String> m = new HashMap<>();
        for (int i = 0; i < 400000; i++) m.put(i * 31 + 7, Integer.toString(i, 36));
        List<String> vals = new ArrayList<>(m.values());
        Collections.sort(vals);
        CRC32 crc = new CRC32();
        for (String s : vals) crc.update(s.getBytes("UTF-8"));
        System.out.println("map " + m.size() + " " + Long.toHexString(crc.getValue()));
        // String building.
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200000; i++) sb.append(i).append(',');
        System.out.println("string " + sb.length() + " " + sb.toString().hashCode());
        // Direct buffers (malloc) and a file mapping (mmap).
        long dsum = 0;
        for (int i = 0; i < 40; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            for (int k = 0; k < b.capacity(); k += 4096) b.put(k, (byte) (k + i));
            dsum += b.get(4096 * (i % 200));
        }
        System.out.println("direct " + dsum);
        Path p = Paths.get(args.length > 0 ? args[0] : "mapped.bin");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            MappedByteBuffer mb = ch.map(FileChannel.MapMode.READ_WRITE, 0, 3 << 20);
            for (int k = 0; k < mb.capacity(); k += 8) mb.putLong(k, k * 2654435761L);
            mb.force();
            MappedByteBuffer ro = ch.map(FileChannel.MapMode.READ_ONLY, 1 << 16, 1 << 20);
            CRC32 c2 = new CRC32();
            byte[] tmp = new byte[4096];
            while (ro.hasRemaining()) { ro.get(tmp); c2.update(tmp); }
            System.out.println("mapped " + Long.toHexString(c2.getValue()));
        }
        // Threads (each with its own stack and guard pages), allocating in parallel.
        ExecutorService ex = Executors.newFixedThreadPool(6);
        List<Future<Long>> fs = new ArrayList<>();
        for (int t = 0; t < 24; t++) {
            final int seed = t;
            fs.add(ex.submit(() -> {
                long s = 0;
                for (int i = 0; i < 2000; i++) {
                    int[] a = new int[1000 + (i * seed) % 30000];
                    a[a.length - 1] = i;
                    s += a[a.length - 1] + a.length;
                }
                return s;
            }));
        }
        long total = 0;
        for (Future<Long> f : fs) total += f.get();
        ex.shutdown();
        for (int t = 0; t < 8; t++) {
            Thread th = new Thread(() -> { byte[] b = new byte[1 << 16]; b[0] = 1; });
            th.start();
            th.join();
        }
        System.out.println("threads " + total);
        System.gc();
        System.out.println("done");
    }
}
