package io.tern.store.rocksdb;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tern.broker.store.Durability;
import io.tern.broker.store.MessageStore;
import io.tern.broker.store.StoreBatch;
import io.tern.broker.store.StoreException;
import io.tern.broker.store.StoredMessage;
import io.tern.broker.store.StoredQueued;
import io.tern.broker.store.StoredSession;
import io.tern.broker.store.StoredState;
import io.tern.broker.store.StoredSubscription;
import io.tern.broker.store.StoredWill;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable {@link MessageStore}: RocksDB in one data directory, one column family per kind of
 * record, a {@code FORMAT} file naming the format version.
 *
 * <pre>{@code
 * MessageStore store = RocksDbStore.open(Path.of("data"), Durability.PROCESS, OnCorrupt.FAIL);
 * Broker broker = Broker.builder().store(store).build().start();
 * ...
 * broker.stop();
 * store.close();
 * }</pre>
 *
 * <p><b>Durability.</b> Every batch goes to RocksDB's write-ahead log without a sync: once {@link
 * #write} returns it is in the operating system and survives a killed process. In {@link
 * Durability#FSYNC}, one thread syncs the log for every caller of {@link #afterSync} waiting at that
 * moment and then calls them back: many connections share one fsync and no event loop waits for it.
 *
 * <p><b>Threading.</b> {@link #write} is called from many event loops at once; RocksDB groups
 * concurrent writers itself (pipelined writes), there is no lock of ours.
 */
public final class RocksDbStore implements MessageStore {
  private static final Logger log = LoggerFactory.getLogger(RocksDbStore.class);

  /**
   * The format this code writes and the newest it reads. 2: messages keep their expiry deadline,
   * QoS 1 references are stored in runs. A format 1 directory is read and upgraded in place.
   */
  public static final int FORMAT_VERSION = 2;
  /** The file in the data directory that holds the format version. */
  public static final String FORMAT_FILE = "FORMAT";

  /** What to do when the data directory cannot be read. */
  public enum OnCorrupt {
    /** Stop with an error naming the path and the way out (the default). */
    FAIL,
    /** Move the directory aside (to {@code <dir>.corrupt-<time>}), warn loudly and start empty. */
    QUARANTINE
  }

  static {
    NativeLibrary.load();
  }

  /** Key in the default family: when the broker was last known to run, 8 bytes ({@link StoreBatch#putAliveAt}). */
  private static final byte[] ALIVE_AT = "alive-at".getBytes(StandardCharsets.UTF_8);
  private static final String[] FAMILIES = {
    "sessions", "subscriptions", "queue", "inbound", "messages", "retained", "wills", "runs"
  };
  /**
   * The format that added a family, where later than 1: a store of an older format lacks it, and it
   * is created when the store is upgraded. Any other family missing from a store is damage.
   */
  private static final Map<String, Integer> FAMILY_SINCE = Map.of("runs", 2);
  /** The families whose records come and go with every message: short-lived, not worth compressing. */
  private static final Set<String> TRANSIENT = Set.of("queue", "messages", "runs");
  /** At most this many records of a family are deleted one by one when a session is removed. */
  static final int POINT_DELETES = 64;

  private static long touchBit(String clientId) {
    return 1L << (clientId.hashCode() & 63);
  }

  /** A batch that held more than this is replaced after its write (see {@code Batch.reset}). */
  static final long KEEP_BYTES = 1024 * 1024;
  /** The initial buffer of a batch's run, and what it is cut back to after a write. */
  private static final int KEEP_RUN_BYTES = 4096;

  /** The memtables of every family together, at most (before RocksDB flushes one): 384 MiB. */
  static final long MEMTABLE_BUDGET_BYTES = 384L * 1024 * 1024;

  private final Path dir;
  private final Durability durability;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle sessions;
  private final ColumnFamilyHandle subscriptions;
  private final ColumnFamilyHandle queue;
  private final ColumnFamilyHandle inbound;
  private final ColumnFamilyHandle messages;
  private final ColumnFamilyHandle retained;
  private final ColumnFamilyHandle wills;
  private final ColumnFamilyHandle runs;
  /** The default family: single records about the store ({@link #ALIVE_AT}). */
  private final ColumnFamilyHandle meta;
  /** The families whose records are keyed by client id first: a session's own ranges. */
  private final ColumnFamilyHandle[] sessionFamilies;
  private final List<ColumnFamilyOptions> familyOptions;
  private final WriteOptions writeOptions = new WriteOptions().setSync(false);
  private final LinkedBlockingQueue<Runnable> waitingForSync = new LinkedBlockingQueue<>();
  private final Thread syncer;
  private volatile boolean closed;
  /** Iterations of the sessions read back still going: closed before the database. */
  private final Set<SessionCursor> openCursors = new HashSet<>();
  /** What {@link #open} read through, handed to the first {@link #recover} unless written since. */
  private volatile StoredState recovered;

  private RocksDbStore(Path dir, Durability durability, DBOptions dbOptions, ColumnFamilyOptions cfOptions,
      List<ColumnFamilyOptions> familyOptions, RocksDB db, List<ColumnFamilyHandle> handles) {
    this.dir = dir;
    this.durability = durability;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.db = db;
    this.handles = handles;
    this.sessions = handles.get(1);
    this.subscriptions = handles.get(2);
    this.queue = handles.get(3);
    this.inbound = handles.get(4);
    this.messages = handles.get(5);
    this.retained = handles.get(6);
    this.wills = handles.get(7);
    this.runs = handles.get(8);
    this.meta = handles.get(0);
    this.sessionFamilies = new ColumnFamilyHandle[] {subscriptions, queue, runs, inbound};
    this.familyOptions = familyOptions;
    if (durability == Durability.FSYNC) {
      syncer = new Thread(this::syncLoop, "tern-store-sync");
      syncer.setDaemon(true);
      syncer.start();
    } else {
      syncer = null;
    }
  }

  /**
   * Opens (or creates) the store in {@code dir} and reads it through, so that a corrupt record is
   * found now, not in the middle of serving.
   *
   * @param durability {@link Durability#PROCESS} or {@link Durability#FSYNC}
   * @throws StoreCorruptException when the directory cannot be used and {@code onCorrupt} does not
   *     allow starting empty, or for a format newer than {@link #FORMAT_VERSION}
   */
  public static RocksDbStore open(Path dir, Durability durability, OnCorrupt onCorrupt) {
    if (durability == Durability.NONE) {
      throw new IllegalArgumentException("durability none: run the broker without a store");
    }
    try {
      return openOrThrow(dir, durability);
    } catch (StoreCorruptException e) {
      if (onCorrupt != OnCorrupt.QUARANTINE || !e.quarantinable()) {
        throw e;
      }
      Path aside = dir.resolveSibling(dir.getFileName() + ".corrupt-"
          + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
      try {
        Files.move(dir, aside);
      } catch (IOException moveFailed) {
        e.addSuppressed(moveFailed);
        throw e;
      }
      log.warn("**********************************************************************");
      log.warn("The store in {} could not be read: {}", dir.toAbsolutePath(), e.getMessage());
      log.warn("It was moved to {} and the broker STARTS EMPTY: persistent sessions, queued and", aside.toAbsolutePath());
      log.warn("retained messages of before are NOT served (on_corrupt_store: quarantine).");
      log.warn("**********************************************************************");
      return openOrThrow(dir, durability);
    }
  }

  private static RocksDbStore openOrThrow(Path dir, Durability durability) {
    Format found = checkFormat(dir);
    int format = found.version();
    // A store that exists is opened as it is. RocksDB creates what it does not find when told to:
    // a MANIFEST damaged in its middle or cut short (read up to the damage) opened with families
    // recreated empty and the log's records for them skipped, then deleted with the log (0 of 220
    // acknowledged messages back); a missing CURRENT was refused, but that open wrote a new one, so
    // the next start opened an empty store and deleted the log. Checked before RocksDB touches the
    // directory, so that a refused store stays as it was.
    boolean createFamilies = found.created() || !missingFamilies(dir, format).isEmpty();
    DBOptions dbOptions = new DBOptions()
        .setCreateIfMissing(found.created())
        .setCreateMissingColumnFamilies(createFamilies)
        .setParanoidChecks(true)
        // A record that is damaged in the middle of a write-ahead log fails the open, so that
        // on_corrupt_store decides. RocksDB's default (point in time) stops replaying at the first bad
        // record and opens without a word: 4 bytes flipped in the middle of the log lost every
        // acknowledged message after them, and the first flush then deleted the log. Only an
        // incomplete last record, a write cut short by the crash (never acknowledged), is passed over.
        // A log cut short at a record's end, or deleted, cannot be told from one with fewer writes.
        .setWalRecoveryMode(org.rocksdb.WALRecoveryMode.TolerateCorruptedTailRecords)
        .setEnablePipelinedWrite(true)
        // A log file is kept until every column family with data in it is flushed; the quiet ones
        // (sessions, subscriptions) would hold the busy ones' logs forever: bound the total.
        .setMaxTotalWalSize(256L * 1024 * 1024)
        // The memtables of all families together (RocksDB's write buffer manager flushes one when
        // they pass it): each family alone may hold far more (the transient ones 8 x 32 MiB, the
        // others RocksDB's 2 x 64 MiB: 1.5 GiB in all, where docs/configuration.md promised 768
        // MB). Above what a steady load holds (~300 MB of RSS growth, two transient memtables
        // merged per flush), so that it costs no flush there.
        .setDbWriteBufferSize(MEMTABLE_BUDGET_BYTES)
        .setKeepLogFileNum(3);
    ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
    // Queue records live from a publisher's read to the subscriber's ack: most are written and
    // deleted within the same memtables, so that a flush drops the pair. Two memtables merged per
    // flush widen that window; compression would only cost CPU on data about to be deleted. Up to
    // eight memtables: RocksDB slows writers down (it sleeps the writing thread, here an event
    // loop) once all but one are full and waiting for a flush, and with four that came at ~100 MB
    // queued for subscribers that were away.
    ColumnFamilyOptions transientOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(32L * 1024 * 1024)
        .setMaxWriteBufferNumber(8)
        .setMinWriteBufferNumberToMerge(2)
        .setCompressionType(CompressionType.NO_COMPRESSION);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
    for (String f : FAMILIES) {
      descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8),
          TRANSIENT.contains(f) ? transientOptions : cfOptions));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db;
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      dbOptions.close();
      cfOptions.close();
      transientOptions.close();
      Status s = e.getStatus();
      String what = s == null ? e.getMessage() : s.getCodeString() + ": " + s.getState();
      boolean locked = what != null && what.contains("lock");
      if (locked) {
        throw new StoreCorruptException(dir, "cannot open the store in " + dir.toAbsolutePath()
            + ": it is in use by another process (" + what + "); stop that process or set storage.data_dir "
            + "to another directory", false, e);
      }
      if (!corruption(e)) {
        throw ioFailure(dir, "cannot open the store: " + what, e);
      }
      throw corrupt(dir, "cannot open the store: " + what, e);
    }
    RocksDbStore store = new RocksDbStore(dir, durability, dbOptions, cfOptions, List.of(transientOptions), db,
        handles);
    try {
      store.recovered = store.readAll();
    } catch (RuntimeException e) {
      store.close();
      if (e instanceof StoreCorruptException c) {
        throw c;
      }
      if (e.getCause() instanceof RocksDBException r && !corruption(r)) {
        throw ioFailure(dir, "cannot read the store: " + e.getMessage(), e);
      }
      throw corrupt(dir, "cannot read the store: " + e.getMessage(), e);
    }
    if (format < FORMAT_VERSION) {
      // Read through without error: its records are readable as they are, new ones are written in
      // the new format. From now on a Tern that knows only the old format refuses the directory.
      try {
        writeFormat(dir);
      } catch (IOException e) {
        store.close();
        throw ioFailure(dir, "cannot upgrade the store from format " + format + ": " + e, e);
      }
      log.info("Store in {} upgraded from format {} to {}", dir.toAbsolutePath(), format, FORMAT_VERSION);
    }
    return store;
  }

  /**
   * Whether RocksDB's error says the directory's contents are bad, as opposed to a failing disk or
   * file system (full, read-only, not ours to write, out of file handles), which moving the directory
   * aside would not cure: quarantine would put a sound store out of service. A file of the store
   * that is missing or is not a file is an I/O error to RocksDB too, but one of the contents.
   */
  static boolean corruption(RocksDBException e) {
    Status s = e.getStatus();
    if (s == null || s.getCode() != Status.Code.IOError) {
      return true;
    }
    if (s.getSubCode() == Status.SubCode.NoSpace) {
      return false;
    }
    String m = String.valueOf(e.getMessage()) + " " + s.getState();
    for (String failing : new String[] {"No space left", "Read-only file system", "Permission denied",
        "Too many open files", "Disk quota exceeded", "Input/output error"}) {
      if (m.contains(failing)) {
        return false;
      }
    }
    return true;
  }

  /** The directory is sound as far as anyone knows, but cannot be used now: never quarantined. */
  static StoreCorruptException ioFailure(Path dir, String problem, Throwable cause) {
    return new StoreCorruptException(dir, problem + " (data directory " + dir.toAbsolutePath() + "). This is not "
        + "corruption: the directory is left as it is. Way out: free disk space, or give the broker's user "
        + "the right to write the directory, then start again", false, cause);
  }

  /**
   * Writes the FORMAT file whole or not at all: a temporary file moved over it, so that a full disk
   * leaves no empty FORMAT behind that the next start would take for a damaged store.
   */
  private static void writeFormat(Path dir) throws IOException {
    Path tmp = dir.resolve(FORMAT_FILE + ".tmp");
    Files.writeString(tmp, FORMAT_VERSION + "\n");
    try {
      Files.move(tmp, dir.resolve(FORMAT_FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /**
   * Whether a directory holds no store: nothing, or only what a first start that failed before
   * RocksDB wrote anything leaves (FORMAT.tmp, or an empty FORMAT from versions that wrote it in
   * place).
   */
  private static boolean holdsNoStore(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        boolean leftover = name.equals(FORMAT_FILE + ".tmp")
            || (name.equals(FORMAT_FILE) && Files.isRegularFile(f) && Files.size(f) == 0);
        if (!leftover) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Whether RocksDB has written a store here: a first start that stopped after FORMAT was written
   * but before RocksDB's CURRENT, MANIFEST or log (killed, or a disk that filled up) left nothing to
   * lose, and its next start creates the store.
   */
  private static boolean rocksDbWroteAnything(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).anyMatch(n -> n.equals("CURRENT")
          || n.startsWith("MANIFEST-") || n.endsWith(".log") || n.endsWith(".sst") || n.endsWith(".blob"));
    }
  }

  static StoreCorruptException corrupt(Path dir, String problem, Throwable cause) {
    return new StoreCorruptException(dir, problem + " (data directory " + dir.toAbsolutePath() + "). Way out: "
        + "restore a backup of the directory, or move it aside and start empty (or set storage.on_corrupt_store: "
        + "quarantine to have that done), or set storage.data_dir to another directory", true, cause);
  }

  /**
   * Creates the data directory when missing, readable by the broker's user only (rwx------ where
   * the file system has POSIX permissions): RocksDB writes its files as the umask says (0644 with
   * the usual 022), and they hold the messages, the sessions' subscriptions and the retained
   * messages. A directory that exists is left as its owner set it; missing parents are created as
   * usual.
   */
  private static void createOwnerOnly(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try {
      if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectory(dir);
      }
    } catch (java.nio.file.FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw e;
      }
    }
  }

  /** A data directory's format version, and whether this open creates the store in it. */
  private record Format(int version, boolean created) {}

  /**
   * The families a store of {@code format} has that its MANIFEST does not list: only those new in a
   * later format (created now, at the upgrade); refuses the store when one it must have is missing.
   */
  private static List<String> missingFamilies(Path dir, int format) {
    Set<String> listed = new HashSet<>();
    try (org.rocksdb.Options o = new org.rocksdb.Options()) {
      // Reads CURRENT and the MANIFEST as the open would, up to any damage; writes nothing. What
      // cannot be read at all (no CURRENT, a MANIFEST damaged from its start) lists nothing: RocksJava
      // hands back an empty list, not the error.
      for (byte[] f : RocksDB.listColumnFamilies(o, dir.toString())) {
        listed.add(new String(f, StandardCharsets.UTF_8));
      }
    } catch (RocksDBException e) {
      Status s = e.getStatus();
      String what = s == null ? e.getMessage() : s.getCodeString() + ": " + s.getState();
      if (!corruption(e)) {
        throw ioFailure(dir, "cannot open the store: " + what, e);
      }
      throw corrupt(dir, "cannot open the store: " + what, e);
    }
    List<String> lost = new ArrayList<>();
    List<String> added = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    expected.add(new String(RocksDB.DEFAULT_COLUMN_FAMILY, StandardCharsets.UTF_8));
    expected.addAll(List.of(FAMILIES));
    for (String f : expected) {
      if (!listed.contains(f)) {
        (FAMILY_SINCE.getOrDefault(f, 1) > format ? added : lost).add(f);
      }
    }
    if (!lost.isEmpty()) {
      String problem;
      if (!listed.isEmpty()) {
        problem = "its MANIFEST is damaged or cut short: it lacks the column families " + String.join(", ", lost);
      } else if (!Files.exists(dir.resolve("CURRENT"))) {
        problem = "it has no CURRENT file (which names its MANIFEST)";
      } else {
        problem = "its CURRENT file, or the MANIFEST it names, is missing or cannot be read";
      }
      throw corrupt(dir, "cannot open the store: " + problem, null);
    }
    return added;
  }

  /**
   * Creates the FORMAT file in a new or empty directory; refuses what this code cannot read.
   * Returns the format of the directory.
   */
  private static Format checkFormat(Path dir) {
    Path format = dir.resolve(FORMAT_FILE);
    try {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw corrupt(dir, dir.toAbsolutePath() + " is not a directory", null);
      }
      createOwnerOnly(dir);
      if (holdsNoStore(dir)) {
        writeFormat(dir);
        return new Format(FORMAT_VERSION, true);
      }
      String text;
      try {
        text = Files.readString(format).trim();
      } catch (NoSuchFileException e) {
        throw corrupt(format, dir.toAbsolutePath() + " is not empty and has no " + FORMAT_FILE
            + " file: not a Tern store", e);
      }
      int version;
      try {
        version = Integer.parseInt(text);
      } catch (NumberFormatException e) {
        throw corrupt(format, format.toAbsolutePath() + " holds '" + text + "', not a format version", e);
      }
      if (version > FORMAT_VERSION) {
        throw new StoreCorruptException(format, "the store in " + dir.toAbsolutePath() + " has format " + version
            + ", written by a newer Tern; this one reads formats up to " + FORMAT_VERSION
            + ". Way out: run the newer Tern, or set storage.data_dir to another directory", false, null);
      }
      if (version < 1) {
        throw corrupt(format, format.toAbsolutePath() + " names format " + version + ", which never existed", null);
      }
      return new Format(version, !rocksDbWroteAnything(dir));
    } catch (IOException e) {
      throw ioFailure(dir, "cannot read or write the data directory: " + e, e);
    }
  }

  // ------------------------------------------------------------------ MessageStore

  @Override
  public Durability durability() {
    return durability;
  }

  /** The state read when the store was opened, or read again after writes (or a second call). */
  @Override
  public synchronized StoredState recover() {
    StoredState s = recovered;
    recovered = null;
    return s != null ? s : readAll();
  }

  @Override
  public StoreBatch newBatch() {
    return new Batch();
  }

  @Override
  public void write(StoreBatch batch) {
    Batch b = (Batch) batch;
    if (recovered != null) {
      recovered = null; // out of date now
    }
    try {
      b.endRun();
      db.write(writeOptions, b.wb);
    } catch (RocksDBException e) {
      throw new StoreException("store write failed: " + e.getMessage(), e);
    } finally {
      b.reset();
    }
  }

  @Override
  public void afterSync(Runnable done) {
    if (syncer == null) {
      done.run();
    } else {
      waitingForSync.add(done);
    }
  }

  private void syncLoop() {
    List<Runnable> batch = new ArrayList<>();
    while (!closed) {
      try {
        batch.add(waitingForSync.take());
      } catch (InterruptedException e) {
        break;
      }
      waitingForSync.drainTo(batch);
      try {
        db.syncWal(); // one fsync for everyone who asked since the last one
      } catch (RocksDBException e) {
        // The acks stay held: the clients resend. Better than acknowledging what may be lost.
        log.error("Store sync failed; acknowledgements of {} reads withheld: {}", batch.size(), e.getMessage());
        batch.clear();
        continue;
      }
      for (Runnable r : batch) {
        try {
          r.run();
        } catch (RuntimeException e) {
          log.warn("After-sync callback failed", e);
        }
      }
      batch.clear();
    }
  }

  @Override
  public void compact() {
    try {
      for (ColumnFamilyHandle h : handles) {
        db.compactRange(h);
      }
    } catch (RocksDBException e) {
      throw new StoreException("store compaction failed: " + e.getMessage(), e);
    }
  }

  /**
   * For tests: the range deletions in the active memtables of the session families (subscriptions,
   * queue, runs, inbound), counted as their entries less their point deletions, so right after a
   * {@link #compact()} and with no puts since.
   */
  long rangeDeletionsInMemtables() {
    long n = 0;
    try {
      for (ColumnFamilyHandle f : sessionFamilies) {
        n += db.getLongProperty(f, "rocksdb.num-entries-active-mem-table")
            - db.getLongProperty(f, "rocksdb.num-deletes-active-mem-table");
      }
    } catch (RocksDBException e) {
      throw new StoreException(e.getMessage(), e);
    }
    return n;
  }

  /** The size of the data directory's files. */
  @Override
  public long sizeBytes() {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.mapToLong(p -> {
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          return a.isRegularFile() ? a.size() : 0;
        } catch (IOException e) {
          return 0; // removed meanwhile (compaction)
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  /** The data directory. */
  public Path directory() {
    return dir;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (syncer != null) {
      syncer.interrupt();
      try {
        syncer.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      db.syncWal();
    } catch (RocksDBException e) {
      log.warn("Store sync on close failed: {}", e.getMessage());
    }
    synchronized (openCursors) {
      for (SessionCursor c : List.copyOf(openCursors)) {
        c.close();
      }
    }
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    writeOptions.close();
    dbOptions.close();
    cfOptions.close();
    familyOptions.forEach(ColumnFamilyOptions::close);
  }

  // ------------------------------------------------------------------ reading back

  /**
   * What {@link #recover} hands back. Every record is read (and decoded: an unreadable one is
   * corruption, found at open) and the records of no session are removed; sessions, messages,
   * retained topics and wills are kept, but a session's subscriptions, queue and inbound ids only
   * when an iteration of {@link StoredState#sessions} reaches it ({@link SessionCursor}). Held all
   * at once next to the sessions the broker makes of them, they took more heap than the running
   * broker held: a store of 3.6 million queued references that ran in 335 MB could not start
   * again in 512 MB (an outside load audit).
   */
  private StoredState readAll() {
    Map<String, long[]> sessionRecords = new LinkedHashMap<>();
    each(sessions, (k, v) -> sessionRecords.put(Records.string(k), Records.session(v)));
    List<byte[][]> orphans = new ArrayList<>(); // {family index, key}
    checkEach(subscriptions, 2, sessionRecords, orphans, (k, v) -> Records.subscription(Records.string(Records.suffixOf(k)), v));
    checkEach(runs, 8, sessionRecords, orphans, (k, v) -> Records.run(Records.longOf(Records.suffixOf(k)), v));
    checkEach(queue, 3, sessionRecords, orphans, (k, v) -> Records.queued(Records.longOf(Records.suffixOf(k)), v));
    checkEach(inbound, 4, sessionRecords, orphans, (k, v) -> Records.suffixOf(k));
    Map<Long, StoredMessage> messageRecords = new HashMap<>();
    each(messages, (k, v) -> messageRecords.put(Records.longOf(k), Records.message(v)));
    Map<String, Long> retainedRecords = new HashMap<>();
    each(retained, (k, v) -> retainedRecords.put(Records.string(k), Records.longOf(v)));
    Map<String, StoredWill> willRecords = new HashMap<>();
    each(wills, (k, v) -> willRecords.put(Records.string(k), Records.will(v)));
    if (!orphans.isEmpty()) {
      try (WriteBatch wb = new WriteBatch()) {
        for (byte[][] o : orphans) {
          wb.delete(handles.get(o[0][0]), o[1]);
        }
        db.write(writeOptions, wb);
      } catch (RocksDBException e) {
        throw new StoreException("store write failed: " + e.getMessage(), e);
      }
      log.info("Store: removed {} records of sessions that no longer exist", orphans.size());
    }
    List<StoredSession> list = new StoredSessions(sessionRecords);
    long aliveAt;
    try {
      byte[] v = db.get(meta, ALIVE_AT);
      aliveAt = v != null && v.length == Long.BYTES ? Records.longOf(v) : 0;
    } catch (RocksDBException e) {
      throw corrupt(dir, "cannot read the store: " + e.getMessage(), e);
    }
    return new StoredState(list, messageRecords, retainedRecords, willRecords, aliveAt);
  }

  /** Reads (decodes, to find corruption) each record of a per-session family; keeps none. */
  private void checkEach(ColumnFamilyHandle family, int index, Map<String, long[]> sessionRecords,
      List<byte[][]> orphans, RecordReader reader) {
    each(family, (k, v) -> {
      if (sessionRecords.containsKey(Records.clientIdOf(k))) {
        reader.read(k, v);
      } else {
        orphans.add(new byte[][] {{(byte) index}, k});
      }
    });
  }

  private interface RecordReader {
    Object read(byte[] key, byte[] value);
  }

  /**
   * The sessions read back, in the store's order of client ids: each iteration reads their
   * subscriptions, queues and inbound ids along, one session at a time ({@link SessionCursor}).
   */
  private final class StoredSessions extends java.util.AbstractList<StoredSession> {
    private final String[] ids;
    private final long[][] records;

    StoredSessions(Map<String, long[]> sessionRecords) {
      ids = sessionRecords.keySet().toArray(new String[0]);
      records = sessionRecords.values().toArray(new long[0][]);
    }

    @Override
    public int size() {
      return ids.length;
    }

    @Override
    public java.util.Iterator<StoredSession> iterator() {
      return new SessionCursor(ids, records);
    }

    /** One session, by seeks (an iteration reads them all in one pass). */
    @Override
    public StoredSession get(int i) {
      java.util.Iterator<StoredSession> one = new SessionCursor(new String[] {ids[i]}, new long[][] {records[i]});
      StoredSession s = one.next();
      one.hasNext(); // closes it
      return s;
    }
  }

  /**
   * Reads sessions in the order of their client ids, with one iterator per family going along:
   * a session's records are the keys that start with its id and a 0 byte, and they come in the
   * same order as the ids (0 is below every byte of an id). Closed when done, or with the store.
   */
  private final class SessionCursor implements java.util.Iterator<StoredSession> {
    private final String[] ids;
    private final long[][] records;
    private final RocksIterator[] its;
    private int next;

    SessionCursor(String[] ids, long[][] records) {
      this.ids = ids;
      this.records = records;
      ColumnFamilyHandle[] families = {subscriptions, runs, queue, inbound};
      its = new RocksIterator[families.length];
      synchronized (openCursors) {
        if (closed) {
          throw new StoreException("the store is closed", null);
        }
        for (int i = 0; i < its.length; i++) {
          its[i] = db.newIterator(families[i]);
          its[i].seekToFirst();
        }
        openCursors.add(this);
      }
    }

    @Override
    public boolean hasNext() {
      if (next < ids.length) {
        return true;
      }
      close();
      return false;
    }

    @Override
    public StoredSession next() {
      if (next >= ids.length) {
        throw new java.util.NoSuchElementException();
      }
      String id = ids[next];
      long[] r = records[next];
      next++;
      byte[] prefix = Records.sessionPrefix(id);
      try {
        List<StoredSubscription> subs = new ArrayList<>();
        each(0, prefix, (k, v) -> subs.add(Records.subscription(Records.string(Records.suffixOf(k)), v)));
        TreeMap<Long, StoredQueued> q = new TreeMap<>();
        each(1, prefix, (k, v) -> {
          for (StoredQueued x : Records.run(Records.longOf(Records.suffixOf(k)), v)) {
            q.put(x.seq(), x);
          }
        });
        each(2, prefix, (k, v) -> {
          long seq = Records.longOf(Records.suffixOf(k));
          q.put(seq, Records.queued(seq, v));
        });
        Set<Integer> in = new HashSet<>();
        each(3, prefix, (k, v) -> {
          byte[] x = Records.suffixOf(k);
          in.add(((x[0] & 0xFF) << 8) | (x[1] & 0xFF));
        });
        return new StoredSession(id, r[0], r[1], subs.isEmpty() ? List.of() : subs,
            q.isEmpty() ? List.of() : new ArrayList<>(q.values()), in.isEmpty() ? Set.of() : in, r[2]);
      } catch (RuntimeException e) {
        close();
        throw e instanceof StoreException ? e : corrupt(dir, "unreadable record of session " + id + " (" + e.getMessage() + ")", e);
      }
    }

    /** The records of iterator {@code i} that start with {@code prefix}: those below it are skipped. */
    private void each(int i, byte[] prefix, RecordVisitor visitor) {
      RocksIterator it = its[i];
      for (; it.isValid(); it.next()) {
        byte[] k = it.key();
        int c = java.util.Arrays.compareUnsigned(k, 0, Math.min(k.length, prefix.length), prefix, 0, prefix.length);
        if (c > 0 || (c == 0 && k.length < prefix.length)) {
          break; // the next session's
        }
        if (c == 0) {
          visitor.visit(k, it.value());
        }
      }
      try {
        it.status();
      } catch (RocksDBException e) {
        throw corrupt(dir, "cannot read the store: " + e.getMessage(), e);
      }
    }

    void close() {
      synchronized (openCursors) {
        if (openCursors.remove(this)) {
          for (RocksIterator it : its) {
            it.close();
          }
        }
      }
    }
  }

  private interface RecordVisitor {
    void visit(byte[] key, byte[] value);
  }

  private void each(ColumnFamilyHandle family, RecordVisitor visitor) {
    try (RocksIterator it = db.newIterator(family)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] k = it.key();
        try {
          visitor.visit(k, it.value());
        } catch (RuntimeException e) {
          throw corrupt(dir, "unreadable record in " + new String(family.getName(), StandardCharsets.UTF_8)
              + " (" + e.getMessage() + ")", e);
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw corrupt(dir, "cannot read the store: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ batches

  private final class Batch implements StoreBatch {
    /** Replaced after a write larger than {@link #KEEP_BYTES}: see {@link #reset}. */
    WriteBatch wb = new WriteBatch();
    /**
     * The client ids whose subscriptions, queue, runs or inbound ids this batch has added to since
     * its last write, as bits of their hashes ({@link #touchBit}): one OR per put, and a session
     * removed with none of its bits set has nothing here that a read of the store would miss.
     */
    long touched;
    /** The keys {@link #deleteEach} found, reused (a batch belongs to one thread). */
    private final byte[][] keys = new byte[POINT_DELETES][];
    /** Operations since the last write, counted here: isEmpty() is asked at every commit point. */
    int ops;
    /**
     * The run being added to ({@link StoredQueued#run()}): its value grows here, reference by
     * reference, and goes into the batch as one record when the next run starts, before a removal
     * of a run or a session, or at the write. Other operations (the message record a reference
     * points to, for one) may come between its references. Direct buffers: RocksDB copies them
     * into the batch without a byte[] in between.
     */
    private final ByteBuf runValue = Unpooled.directBuffer(KEEP_RUN_BYTES);
    private final ByteBuf runKey = Unpooled.directBuffer(64);
    private String runClient;
    private long runFirst;
    private int runCount;

    private void run(RocksOp op) {
      ops++;
      try {
        op.run();
      } catch (RocksDBException e) {
        throw new StoreException("store batch failed: " + e.getMessage(), e);
      }
    }

    @Override
    public void putSession(String clientId, long expiryInterval, long disconnectedAtMillis) {
      putSession(clientId, expiryInterval, disconnectedAtMillis, StoredSession.UNKNOWN);
    }

    @Override
    public void putSession(String clientId, long expiryInterval, long disconnectedAtMillis, long sentThroughSeq) {
      run(() -> wb.put(sessions, Records.utf8(clientId),
          Records.session(expiryInterval, disconnectedAtMillis, sentThroughSeq)));
    }

    /**
     * Removes the session's records. Its subscriptions, queue references, runs and inbound QoS 2 ids
     * are found by reading the store, and removed one by one while they are few ({@link
     * #POINT_DELETES}); a range deletion is written only for a family where the session has more, or
     * where this batch may have added to it before its write (so not in the store yet; {@link
     * #touched}). A range deletion stays in RocksDB's memory for as long as a table file holds it
     * (every open table keeps its range deletions in a list of its own, outside the block cache),
     * and a churn of persistent sessions that wrote four per ended session took a broker with an
     * empty store to ~1 GB of RSS in 17 minutes (an outside churn audit; 500,000 range deletions
     * flushed held ~150 MB more than as many point deletions). A delivery that another thread's
     * batch stores for the session meanwhile (matched just before it ended) may leave its queue
     * reference behind, as it could before when written after the range deletion; the window now
     * also spans this read to this batch's write. Such a record belongs to no session at the next
     * start and is dropped then, unless a new session of the client id exists by then.
     */
    @Override
    public void removeSession(String clientId) {
      endRun();
      ops++;
      byte[] from = Records.sessionPrefix(clientId);
      byte[] to = Records.sessionPrefixEnd(clientId);
      boolean added = (touched & touchBit(clientId)) != 0;
      try {
        wb.delete(sessions, Records.utf8(clientId));
        wb.delete(wills, Records.utf8(clientId));
        for (ColumnFamilyHandle f : sessionFamilies) {
          if (added || !deleteEach(f, from, to)) {
            wb.deleteRange(f, from, to);
          }
        }
      } catch (RocksDBException e) {
        throw new StoreException("store batch failed: " + e.getMessage(), e);
      }
    }

    /**
     * Deletes each record in {@code [from, to)} of {@code family} as the store has it, when there are
     * at most {@link #POINT_DELETES}; returns false (nothing deleted) when there are more.
     */
    private boolean deleteEach(ColumnFamilyHandle family, byte[] from, byte[] to) throws RocksDBException {
      int n = 0;
      try (org.rocksdb.Slice upper = new org.rocksdb.Slice(to);
          org.rocksdb.ReadOptions ro = new org.rocksdb.ReadOptions().setIterateUpperBound(upper);
          RocksIterator it = db.newIterator(family, ro)) {
        for (it.seek(from); it.isValid(); it.next()) {
          if (n == POINT_DELETES) {
            java.util.Arrays.fill(keys, null);
            return false;
          }
          keys[n++] = it.key();
        }
        it.status();
      }
      for (int i = 0; i < n; i++) {
        wb.delete(family, keys[i]);
        keys[i] = null;
      }
      return true;
    }

    @Override
    public void putSubscription(String clientId, StoredSubscription s) {
      touched |= touchBit(clientId);
      run(() -> wb.put(subscriptions, Records.sessionKey(clientId, Records.utf8(s.filter())), Records.subscription(s)));
    }

    @Override
    public void removeSubscription(String clientId, String filter) {
      run(() -> wb.delete(subscriptions, Records.sessionKey(clientId, Records.utf8(filter))));
    }

    @Override
    public void putMessage(long messageId, StoredMessage message) {
      run(() -> wb.put(messages, Records.longKey(messageId), Records.message(message)));
    }

    @Override
    public void removeMessage(long messageId) {
      run(() -> wb.delete(messages, Records.longKey(messageId)));
    }

    @Override
    public void putQueued(String clientId, StoredQueued q) {
      touched |= touchBit(clientId);
      if (q.run() == 0) {
        run(() -> wb.put(queue, Records.seqKey(clientId, q.seq()), Records.queued(q)));
        return;
      }
      if (runCount == 0 || q.run() != runFirst || !clientId.equals(runClient)) {
        endRun();
        if (q.seq() != q.run()) {
          throw new IllegalArgumentException("reference " + q.seq() + " does not start run " + q.run());
        }
        runClient = clientId;
        runFirst = q.run();
        Records.beginRun(runValue);
      } else if (q.seq() != runFirst + runCount) {
        throw new IllegalArgumentException("reference " + q.seq() + " does not follow " + (runFirst + runCount - 1));
      }
      Records.addToRun(runValue, q);
      runCount++;
      ops++;
    }

    /** Puts the run being added to, if any, into the batch as one record. */
    /**
     * Empties the batch after a write. A WriteBatch keeps the capacity of the largest write it held
     * (its buffer is a std::string, and clear() does not shrink it), and a batch lives as long as
     * its event loop: one QoS 1 message of 100 MB would hold 100 MB of native memory per loop for
     * the broker's life. A batch that held more than {@link #KEEP_BYTES} is replaced.
     */
    void reset() {
      ops = 0;
      touched = 0;
      if (wb.getDataSize() > KEEP_BYTES) {
        wb.close();
        wb = new WriteBatch();
      } else {
        wb.clear();
      }
      if (runValue.capacity() > KEEP_RUN_BYTES) {
        runValue.capacity(KEEP_RUN_BYTES);
      }
    }

    @Override
    public void close() {
      wb.close();
      runValue.release();
      runKey.release();
    }

    void endRun() {
      if (runCount == 0) {
        return;
      }
      Records.endRun(runValue, runCount);
      runCount = 0;
      runKey.clear();
      Records.writeSeqKey(runKey, runClient, runFirst);
      runClient = null;
      try {
        wb.put(runs, runKey.nioBuffer(), runValue.nioBuffer());
      } catch (RocksDBException e) {
        throw new StoreException("store batch failed: " + e.getMessage(), e);
      }
    }

    @Override
    public void removeRun(String clientId, long first, int count) {
      endRun();
      run(() -> wb.delete(runs, Records.seqKey(clientId, first)));
    }

    @Override
    public void removeQueued(String clientId, long seq) {
      run(() -> wb.delete(queue, Records.seqKey(clientId, seq)));
    }

    @Override
    public void putInboundQos2(String clientId, int packetId) {
      touched |= touchBit(clientId);
      run(() -> wb.put(inbound, Records.packetIdKey(clientId, packetId), new byte[0]));
    }

    @Override
    public void removeInboundQos2(String clientId, int packetId) {
      run(() -> wb.delete(inbound, Records.packetIdKey(clientId, packetId)));
    }

    @Override
    public void putRetained(String topic, long messageId) {
      run(() -> wb.put(retained, Records.utf8(topic), Records.longKey(messageId)));
    }

    @Override
    public void removeRetained(String topic) {
      run(() -> wb.delete(retained, Records.utf8(topic)));
    }

    @Override
    public void putWill(String clientId, StoredWill will) {
      run(() -> wb.put(wills, Records.utf8(clientId), Records.will(will)));
    }

    @Override
    public void removeWill(String clientId) {
      run(() -> wb.delete(wills, Records.utf8(clientId)));
    }

    @Override
    public void putAliveAt(long millis) {
      run(() -> wb.put(meta, ALIVE_AT, Records.longKey(millis)));
    }

    @Override
    public boolean isEmpty() {
      return ops == 0;
    }
  }

  private interface RocksOp {
    void run() throws RocksDBException;
  }
}
