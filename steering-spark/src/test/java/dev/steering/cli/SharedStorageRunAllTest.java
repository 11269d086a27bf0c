package dev.steering.cli;

import dev.steering.experiment.QuantizationStudy;
import dev.steering.experiment.SharedRun;
import dev.steering.experiment.SharedRuns;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code run-all --output hdfs://...} against an in-process HDFS (MiniDFSCluster) as a Spark job in local mode, and
 * {@code --output s3a://...} in one process against a stand-in for S3 whose rename is unavailable: the same rows as
 * the single-process local run, part by part; a resubmitted run skips the parts present; no temporary file is left;
 * the reports are written beside the results. Bad storage is a one-line error in seconds.
 */
class SharedStorageRunAllTest {
    @TempDir
    static Path tmp;
    static Path reference;
    static MiniDFSCluster hdfs;

    @BeforeAll
    static void start() throws IOException {
        reference = SparkRunAllTest.runAll("--config", "smoke", "--output", tmp.resolve("local").toString());
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("dfs").toString());
        hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        hdfs.waitActive();
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) {
            hdfs.shutdown();
        }
    }

    @Test
    void theSmokeStudyOnSparkWritesItsRunToHdfsAndAResubmissionSkipsThePartsThere() throws Exception {
        String out = "hdfs://localhost:" + hdfs.getNameNodePort() + "/runs";
        String uri = SparkRunAllTest.runAllPrinting("--config", "smoke", "--output", out, "--spark-master", "local[2]");
        assertEquals(out + "/" + reference.getFileName(), uri, "the run directory's URI is printed, the same run id");
        FileSystem fs = hdfs.getFileSystem();
        Path copy = download(fs, uri, tmp.resolve("copy1"));
        SparkSweepStudiesTest.assertSameParts(reference, copy);
        for (String report : List.of("summary.csv", "config.yaml", "sanity_template.json")) {
            assertTrue(Files.exists(copy.resolve(report)), report + " is written to HDFS");
        }
        assertEquals(SparkSweepStudiesTest.files(reference, ".png"), SparkSweepStudiesTest.files(copy, ".png"),
                "the same figures");
        assertNoHiddenFiles(fs, uri);

        Map<String, Long> before = partTimes(fs, uri);
        String redo = before.keySet().stream().sorted().reduce((a, b) -> b).orElseThrow();
        assertTrue(fs.delete(new org.apache.hadoop.fs.Path(uri + "/" + redo), false));
        Thread.sleep(20);
        assertEquals(uri, SparkRunAllTest.runAllPrinting("--config", "smoke", "--output", out,
                "--spark-master", "local[2]"));
        Map<String, Long> after = partTimes(fs, uri);
        assertEquals(before.keySet(), after.keySet(), "one part per condition, nothing doubled");
        for (var e : before.entrySet()) {
            if (!e.getKey().equals(redo)) {
                assertEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " was there and not redone");
            }
        }
        SparkSweepStudiesTest.assertSameParts(reference, download(fs, uri, tmp.resolve("copy2")));
        assertNoHiddenFiles(fs, uri);
    }

    @Test
    void theQuantizationStudyOnSparkWritesEveryPrecisionsPartsAndDirectionsToHdfs() throws Exception {
        Path yaml = tmp.resolve("quantization-small.yaml");
        Files.writeString(yaml, """
                study: quantization
                models:
                  - {name: "bundled:toy-refusal", family: gpt-neox (toy), chat: false, layer_pct: 0.5}
                precisions: [float32, int8]
                extract_from: self
                steering:   {multiplier: 1, steer_range: to_end, hook_point: resid_pre}
                prompts:    {harmful_path: <bundled>, harmless_path: <bundled>, test_path: <bundled>, dim_n: 5,
                             cosmic_n: 50, cosmic_val_n: 16, test_n: 4, test_repeats: 1}
                generation: {max_new_tokens: 8, temperature: 0.7, top_p: 0.9, seed: 0, batch_size: 25}
                """);
        String[] small = {"--config", yaml.toString(), "--output"};
        Path local = SparkRunAllTest.runAll(concat(small, tmp.resolve("quant-local").toString()));
        String out = "hdfs://localhost:" + hdfs.getNameNodePort() + "/quantization";
        String uri = SparkRunAllTest.runAllPrinting(concat(small, out, "--spark-master", "local[2]"));
        Path copy = download(hdfs.getFileSystem(), uri, tmp.resolve("quant-copy"));
        SparkSweepStudiesTest.assertSameParts(local, copy);
        assertEquals(SparkSweepStudiesTest.files(local, ".safetensors"), SparkSweepStudiesTest.files(copy, ".safetensors"),
                "every (model, precision)'s direction, written by its task");
        assertEquals(Files.readString(local.resolve(QuantizationStudy.COSINES)).replaceAll("\"extraction_s\" : [0-9.]+", ""),
                Files.readString(copy.resolve(QuantizationStudy.COSINES)).replaceAll("\"extraction_s\" : [0-9.]+", ""),
                "the same cosines, from the directions the tasks stored");
        assertNoHiddenFiles(hdfs.getFileSystem(), uri);
    }

    @Test
    void theToxicityStudyOnSparkReadsTheVectorsTheDriverBuiltBetweenItsStagesFromHdfs() throws Exception {
        String[] small = {"--config", "toxicity", "--set", "experiment.layers=[0, 1]", "--set",
                "experiment.alphas=[-1, 0, 1]", "--set", "data.challenging_n=3", "--set", "data.benign_n=3",
                "--set", "generation.max_new_tokens=4", "--output"};
        Path local = SparkRunAllTest.runAll(concat(small, tmp.resolve("tox-local").toString()));
        String out = "hdfs://localhost:" + hdfs.getNameNodePort() + "/toxicity";
        String uri = SparkRunAllTest.runAllPrinting(concat(small, out, "--spark-master", "local[2]"));
        Path copy = download(hdfs.getFileSystem(), uri, tmp.resolve("tox-copy"));
        SparkSweepStudiesTest.assertSameParts(local, copy);
        for (Path v : SparkSweepStudiesTest.files(local, ".safetensors")) {
            assertEquals(-1, Files.mismatch(local.resolve(v), copy.resolve(v)), "the same CAA vector " + v);
        }
        assertTrue(Files.exists(copy.resolve("summary.csv")), "the toxicity report is written to HDFS");
        assertNoHiddenFiles(hdfs.getFileSystem(), uri);
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    /**
     * What a cluster does and local mode cannot show (there the executors share the driver's working copy): a driver
     * and an executor with working copies of their own exchange the files of a run through HDFS.
     */
    @Test
    void twoWorkingCopiesExchangeTheirFilesThroughHdfs() throws Exception {
        String uri = "hdfs://localhost:" + hdfs.getNameNodePort() + "/exchange/run";
        Path d = tmp.resolve("driver-copy").resolve("run");
        Path e = tmp.resolve("executor-copy").resolve("run");
        SharedRun driver = SharedRuns.open(uri, d);
        SharedRun executor = SharedRuns.open(uri, e);
        assertTrue(!driver.exists());
        write(d.resolve("config.yaml"), "seed: 1");
        write(d.resolve("directions/layer_2/v.safetensors"), "direction");
        driver.push(true);
        executor.pull();
        assertEquals("direction", Files.readString(e.resolve("directions/layer_2/v.safetensors")));
        assertEquals("seed: 1", Files.readString(e.resolve("config.yaml")));

        write(e.resolve("parts/000-baseline.parquet"), "rows of the first attempt");
        executor.publish(e.resolve("parts/000-baseline.parquet"));
        write(e.resolve("models/00-a/directions/int8-dim.safetensors"), "its own direction");
        write(e.resolve("config.yaml"), "seed: 1 (rewritten by the executor's study)");
        write(e.resolve("parts/.000-baseline.parquet123.tmp"), "half");
        executor.push(false);
        Path e2 = tmp.resolve("executor2-copy").resolve("run");
        write(e2.resolve("parts/000-baseline.parquet"), "rows of a speculative duplicate");
        SharedRuns.open(uri, e2).publish(e2.resolve("parts/000-baseline.parquet"));

        driver.pull();
        assertEquals("rows of the first attempt", Files.readString(d.resolve("parts/000-baseline.parquet")),
                "a part is stored once: the duplicate's copy is dropped");
        assertEquals("its own direction", Files.readString(d.resolve("models/00-a/directions/int8-dim.safetensors")));
        assertEquals("seed: 1", Files.readString(d.resolve("config.yaml")), "an executor only adds files");
        assertTrue(!Files.exists(d.resolve("parts/.000-baseline.parquet123.tmp")), "hidden files are not copied");
        write(d.resolve("config.yaml"), "seed: 2");
        driver.push(true);
        executor.pull();
        assertEquals("seed: 2", Files.readString(e.resolve("config.yaml")), "the driver replaces what it rewrote");
        assertNoHiddenFiles(hdfs.getFileSystem(), uri);
        driver.delete();
        assertTrue(!driver.exists());
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    void onAnObjectStoreWithoutRenameTheRunWritesItsKeysDirectly() throws Exception {
        System.setProperty("spark.hadoop.fs.s3a.impl", RenamelessFileSystem.class.getName());
        System.setProperty("spark.hadoop.fs.s3a.impl.disable.cache", "true");
        try {
            Path bucket = tmp.resolve("bucket").toAbsolutePath();
            String out = "s3a://bucket" + bucket.resolve("runs").toUri().getPath().replaceFirst("/$", "");
            String uri = SparkRunAllTest.runAllPrinting("--config", "smoke", "--output", out);
            assertEquals(out + "/" + reference.getFileName(), uri);
            Path runDir = bucket.resolve("runs").resolve(reference.getFileName().toString());
            SparkSweepStudiesTest.assertSameParts(reference, runDir);
            assertTrue(Files.exists(runDir.resolve("summary.csv")), "the reports are written");
            assertEquals(List.of(), hidden(runDir), "no temporary object");
            assertEquals(uri, SparkRunAllTest.runAllPrinting("--config", "smoke", "--output", out),
                    "a resubmission over the stored keys");
            SparkSweepStudiesTest.assertSameParts(reference, runDir);
        } finally {
            System.clearProperty("spark.hadoop.fs.s3a.impl");
            System.clearProperty("spark.hadoop.fs.s3a.impl.disable.cache");
        }
    }

    @Test
    void anUnreachableNameNodeIsAOneLineErrorInSeconds() {
        String out = "hdfs://127.0.0.1:1/runs";
        long t0 = System.nanoTime();
        String msg = failure("--config", "smoke", "--output", out, "--spark-master", "local[2]");
        assertTrue((System.nanoTime() - t0) / 1e9 < 20, "failed in " + (System.nanoTime() - t0) / 1e9 + " s");
        assertTrue(msg.lines().count() == 1 && msg.contains(out) && msg.contains("Connection refused"), msg);
    }

    @Test
    void aSchemeHadoopDoesNotKnowIsAOneLineErrorNotALocalDirectory() {
        String msg = failure("--config", "smoke", "--output", "nosuch://bucket/runs");
        assertTrue(msg.lines().count() == 1 && msg.contains("nosuch://bucket/runs")
                && msg.contains("No FileSystem for scheme"), msg);
        assertTrue(!Files.exists(Path.of("nosuch:")), "no local directory named after the scheme");
    }

    /** Runs {@code run-all args}, asserts it fails, returns its error output. */
    private static String failure(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = new String[args.length + 1];
        argv[0] = "run-all";
        System.arraycopy(args, 0, argv, 1, args.length);
        int code = Main.run(argv, new PrintStream(err, true, StandardCharsets.UTF_8));
        String msg = err.toString(StandardCharsets.UTF_8).strip();
        assertTrue(code != 0, msg);
        return msg;
    }

    private static Path download(FileSystem fs, String uri, Path dir) throws IOException {
        fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(uri), new org.apache.hadoop.fs.Path(dir.toUri()), true);
        return dir;
    }

    /** The modification time of every part in the run directory, by its path. */
    private static Map<String, Long> partTimes(FileSystem fs, String uri) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        String base = URI.create(uri).getPath();
        for (LocatedFileStatus st : list(fs, uri)) {
            String rel = st.getPath().toUri().getPath().substring(base.length() + 1);
            if (rel.startsWith("parts/")) {
                out.put(rel, st.getModificationTime());
            }
        }
        return out;
    }

    private static void assertNoHiddenFiles(FileSystem fs, String uri) throws IOException {
        List<String> hidden = list(fs, uri).stream().map(st -> st.getPath().toString())
                .filter(p -> p.substring(p.lastIndexOf('/') + 1).startsWith(".")).toList();
        assertEquals(List.of(), hidden, "no temporary or partial file is left");
    }

    private static List<String> hidden(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    private static List<LocatedFileStatus> list(FileSystem fs, String uri) throws IOException {
        List<LocatedFileStatus> out = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(new org.apache.hadoop.fs.Path(uri), true);
        while (it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    /**
     * A stand-in for S3A: the local file system under {@code s3a://bucket/<local path>}, whose rename fails (S3's is a
     * copy; the runner must never rely on it there).
     */
    public static final class RenamelessFileSystem extends RawLocalFileSystem {
        @Override
        public URI getUri() {
            return URI.create("s3a://bucket/");
        }

        @Override
        public String getScheme() {
            return "s3a";
        }

        /** Statuses without the local file system's lazily loaded owner and permissions (they need a file: path). */
        @Override
        public FileStatus getFileStatus(org.apache.hadoop.fs.Path f) throws IOException {
            return plain(super.getFileStatus(f));
        }

        @Override
        public FileStatus[] listStatus(org.apache.hadoop.fs.Path f) throws IOException {
            FileStatus[] all = super.listStatus(f);
            for (int i = 0; i < all.length; i++) {
                all[i] = plain(all[i]);
            }
            return all;
        }

        private static FileStatus plain(FileStatus st) {
            return new FileStatus(st.getLen(), st.isDirectory(), 1, st.getBlockSize(), st.getModificationTime(),
                    st.getPath());
        }

        @Override
        public boolean rename(org.apache.hadoop.fs.Path src, org.apache.hadoop.fs.Path dst) throws IOException {
            throw new IOException("rename is not available on this store: " + src + " -> " + dst);
        }
    }
}
