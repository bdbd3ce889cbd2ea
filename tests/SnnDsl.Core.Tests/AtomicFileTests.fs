/// AtomicFile: a reader sees the old file or the whole new one; a failed write touches no target, leaves no
/// temporary file and is a data error naming the file.
module SnnDsl.Core.Tests.AtomicFileTests

open System
open System.IO
open Expecto
open SnnDsl.Core
open SnnDsl.TestKit

[<Tests>]
let tests =
    testList "AtomicFile" [
        testCase "writeText replaces a file whole and leaves no temporary file" <| fun () ->
            use dir = new TempDir()
            let path = dir.File "a.txt"
            AtomicFile.writeText path (String('x', 10_000))
            AtomicFile.writeText path "short"
            Expect.equal (File.ReadAllText path) "short" "the new content, nothing of the old"
            Expect.equal dir.Entries [| "a.txt" |] "only the target"

        testCase "a writer that fails leaves the old file intact and no temporary file" <| fun () ->
            use dir = new TempDir()
            let path = dir.File "keep.bin"
            AtomicFile.writeBytes path [| 1uy; 2uy; 3uy |]
            Expect.throwsT<InvalidOperationException>
                (fun () -> AtomicFile.write path (fun s -> s.Write(Array.zeroCreate 10, 0, 10); invalidOp "disk full"))
                "the writer's exception propagates"
            Expect.equal (File.ReadAllBytes path) [| 1uy; 2uy; 3uy |] "the old content"
            Expect.equal dir.Entries [| "keep.bin" |] "no temporary file"

        testCase "writeAll touches no target when a file cannot be written, and names it" <| fun () ->
            use dir = new TempDir()
            let first = dir.File "first.txt"
            File.WriteAllText(first, "old")
            // The second file's folder would have to be inside a file: its write fails.
            File.WriteAllText(dir.File "plain", "")
            let blocked = Path.Combine(dir.File "plain", "second.txt")
            let e = Expect.throwsC (fun () -> AtomicFile.writeAll [ first, "new"; blocked, "x" ]) id
            match e with
            | :? SnnException as e ->
                Expect.equal e.Kind ErrorKind.Data "a data error"
                Expect.stringContains e.Message $"cannot write '{blocked}'" "names the file"
            | other -> failtest $"expected an SnnException, got {other.GetType().Name}: {other.Message}"
            Expect.equal (File.ReadAllText first) "old" "the first target is untouched"
            Expect.equal dir.Entries [| "first.txt"; "plain" |] "no temporary file"

        testCase "writeAll writes every file" <| fun () ->
            use dir = new TempDir()
            AtomicFile.writeAll [ dir.File "a", "1"; dir.File "b", "2" ]
            Expect.equal (File.ReadAllText(dir.File "a"), File.ReadAllText(dir.File "b")) ("1", "2") "both written"
            Expect.equal dir.Entries [| "a"; "b" |] "no temporary file"

        testCase "a Pending file disposed without Commit leaves nothing behind; writes create missing folders" <| fun () ->
            use dir = new TempDir()
            let path = Path.Combine(dir.Path, "sub", "p.bin")
            do
                use p = new AtomicFile.Pending(path)
                p.Stream.WriteByte 7uy
            Expect.isFalse (File.Exists path) "nothing committed"
            Expect.isEmpty (Directory.GetFiles(Path.Combine(dir.Path, "sub"))) "no temporary file"
            AtomicFile.writeBytes path [| 7uy |]
            Expect.equal (File.ReadAllBytes path) [| 7uy |] "written into the created folder"

        testCase "checkWritable names a missing directory and a directory in the way" <| fun () ->
            use dir = new TempDir()
            let missing = Path.Combine(dir.Path, "nope", "o.csv")
            let e = Expect.throwsC (fun () -> AtomicFile.checkWritable "trace" missing) id
            Expect.stringContains e.Message $"cannot write the trace to '{missing}'" "names the output"
            let e = Expect.throwsC (fun () -> AtomicFile.checkWritable "plot" dir.Path) id
            Expect.stringContains e.Message "it is a directory" "says why"
    ]
