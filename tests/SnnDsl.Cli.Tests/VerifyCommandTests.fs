/// `snn verify`, and `--neuron-file` for `snn simulate` and `snn train`, run in-process.
module SnnDsl.Cli.Tests.VerifyCommandTests

open System
open System.IO
open Expecto
open SnnDsl.Core
open SnnDsl.TestKit
open SnnDsl.Cli.Tests.Cli

let private examples = SnnDsl.TestKit.Repo.examples

let private example name = Path.Combine(examples, name)

let private expectCode (code: int) (o: Outcome) = Expect.equal o.Code code $"exit code; out:\n{o.Out}\nerr:\n{o.Err}"

[<Tests>]
let tests =
    testList "cli" [
        test "the acceptance neuron is a .neuron file of at most 12 lines" {
            let lines = File.ReadAllLines(example "lif-syn.neuron") |> Array.filter (fun l -> l.Trim() <> "")
            Expect.isLessThanOrEqual lines.Length 12 "lines"
            let n = NeuronText.loadNeuron (example "lif-syn.neuron")
            Expect.equal (n.States |> List.map (fun s -> s.Name)) [ "I"; "V" ] "a synaptic-current state"
            Expect.isTrue (n.Params |> List.exists (fun p -> p.Name = "vth" && p.Learnable && p.Granularity = Granularity.PerChannel)) "a learnable per-channel threshold"
            Expect.isFalse (Builtins.all |> List.exists (fun b -> b.Bindings = n.Bindings)) "not a built-in"
        }

        test "snn verify prints one passing line per law and exits 0" {
            let o = snn [ "verify"; "--neuron-file"; example "lif-syn.neuron"; "--cases"; "20" ]
            expectCode 0 o
            let lines = o.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            Expect.equal lines[0] "verifying lif-syn: 20 cases per law, seed 1" "header"
            for law in SnnDsl.Verify.Verify.standardNames @ [ "reset-lowers-V" ] do
                Expect.exists lines (fun l -> l.StartsWith $"pass  {law} (") $"a line for {law}"
            Expect.equal (Array.last lines) "all 9 laws hold" "summary"
        }

        test "snn verify on the broken neuron exits 1 with the counterexample and the seed" {
            let o = snn [ "verify"; "--neuron-file"; example "lif-syn-broken.neuron"; "--law"; "reset-lowers-V"; "--seed"; "3" ]
            expectCode 1 o
            Expect.stringContains o.Out "FAIL  reset-lowers-V: S = 1 implies V' < H fails at t = 1: H = 1, V' = 2, S = 1" o.Out
            Expect.stringContains o.Out "      t  X  I_t  H  S  I'  V'\n      1  1    1  1  1   1   2  <-" o.Out
            Expect.stringContains o.Out "1 of 1 laws fail; replay with --seed 3" o.Out
        }

        test "snn verify on a file with a syntax error exits 2 naming line and column" {
            use dir = new TempDir()
            let bad = dir.File "bad.neuron"
            File.WriteAllText(bad, "neuron bad\nstate V = 0\nH = 0.5 * V +\nS = spike[atan](H - 1)\nV <- H - S\n")
            let o = snn [ "verify"; "--neuron-file"; bad ]
            expectCode 2 o
            Expect.equal (o.Err.Trim()) $"snn: {bad}:3:14: expected an expression, found the end of the line" o.Err
        }

        test "snn verify: an unknown law, a missing file, or no neuron at all exit 2" {
            expectCode 2 (snn [ "verify"; "--neuron-file"; example "lif-syn.neuron"; "--law"; "nope" ])
            let missing = snn [ "verify"; "--neuron-file"; "/nonexistent/x.neuron" ]
            expectCode 2 missing
            Expect.stringContains missing.Err "neuron file not found: /nonexistent/x.neuron" missing.Err
            let none = snn [ "verify" ]
            expectCode 2 none
            Expect.stringContains none.Err "give --neuron NAME (a built-in, see `snn neurons`) or --neuron-file FILE" none.Err
        }

        test "snn verify --neuron checks a built-in" {
            expectCode 0 (snn [ "verify"; "--neuron"; "leaky-lif-soft"; "--cases"; "10"; "--law"; "interpreters-agree"; "--law"; "gradients-agree" ])
        }

        test "snn simulate --neuron-file runs the file's neuron; --neuron and --neuron-file together exit 2" {
            use dir = new TempDir()
            let x = dir.File "x.csv"
            File.WriteAllText(x, "0.5,1.2\n0.9,0.3\n1.5,0.7\n")
            let out = dir.File "trace.csv"
            let o = snn [ "simulate"; "--neuron-file"; example "lif-syn.neuron"; "--input"; x; "--out"; out ]
            expectCode 0 o
            Expect.stringContains o.Out "lif-syn: 3 steps, 2 neurons" o.Out
            let header = (File.ReadAllLines out)[0]
            Expect.equal header "t,neuron,x,s,v,I" "the trace has the file's extra state"
            expectCode 2 (snn [ "simulate"; "--neuron"; "lif"; "--neuron-file"; example "lif-syn.neuron"; "--input"; x; "--out"; out ])
        }

        test "snn train --neuron-file trains the file's neuron; eval and resume need only the checkpoint" {
            use dir = new TempDir()
            let copy = dir.File "mine.neuron"
            File.Copy(example "lif-syn.neuron", copy)
            let run = dir.File "run"
            let common = [ "--limit-train"; "64"; "--limit-test"; "32"; "--timesteps"; "2"; "--batch-size"; "32"; "--threads"; "1"; "--no-report"; "--check-finite" ]
            let o = snn ([ "train"; "--neuron-file"; copy; "--epochs"; "1"; "--out"; run ] @ common)
            expectCode 0 o
            File.Delete copy
            let e = snn [ "eval"; "--checkpoint"; Path.Combine(run, "checkpoint.snnt") ]
            expectCode 0 e
            Expect.stringContains e.Out "vth=" "the file's learnable parameter is reported"
            let r = snn [ "train"; "--out"; run; "--resume"; "--epochs"; "2"; "--no-report" ]
            expectCode 0 r
            Expect.stringContains r.Out "after 2 epoch(s)" r.Out
        }

        test "snn neurons --text prints each built-in in the text form, which parses back" {
            let o = snn [ "neurons"; "--text"; "alif"; "ar-lif" ]
            expectCode 0 o
            let parts = o.Out.Split("\n\n")
            Expect.equal (parts |> Array.map (NeuronText.parseNeuron "out")) [| Builtins.alif; Builtins.arLif |] o.Out
        }
    
        test "the neuron-language examples (Izhikevich, refractory LIF) simulate, verify and train from the command line" {
            use dir = new TempDir()
            let x = dir.File "x.csv"
            File.WriteAllText(x, String.concat "\n" (List.replicate 12 "2,10") + "\n")
            for file, header, train in
                [ "lif-refractory.neuron", "t,neuron,x,s,v,r", []
                  "izhikevich.neuron", "t,neuron,x,s,v,u", [ "--model"; "fc"; "--input-scale"; "100" ] ] do
                let out = dir.File(file + ".csv")
                let o = snn [ "simulate"; "--neuron-file"; example file; "--input"; x; "--out"; out ]
                expectCode 0 o
                let lines = File.ReadAllLines out
                Expect.equal lines[0] header "the trace has the file's states"
                let spikes = lines[1..] |> Array.sumBy (fun l -> float (l.Split(',')[3]))
                let shown = String.concat "\n" lines
                Expect.isTrue (spikes > 0.0) $"{file} fires under these inputs:\n{shown}"
                let v = snn [ "verify"; "--neuron-file"; example file; "--cases"; "20" ]
                expectCode 0 v
                Expect.stringContains v.Out "laws hold" v.Out
                let run = dir.File("run-" + file)
                let t = snn ([ "train"; "--neuron-file"; example file; "--epochs"; "1"; "--out"; run; "--limit-train"; "64"; "--limit-test"; "32"; "--timesteps"; "4"; "--batch-size"; "32"; "--threads"; "1"; "--no-report"; "--check-finite" ] @ train)
                expectCode 0 t
                Expect.isTrue (File.Exists(Path.Combine(run, "checkpoint.snnt"))) "a checkpoint"
            // The refractory LIF's trace: a spike, then three silent steps with the counter running down.
            let trace = File.ReadAllLines(dir.File "lif-refractory.neuron.csv")[1..] |> Array.filter (fun l -> l.Split(',')[1] = "0")
            Expect.equal (trace |> Array.map (fun l -> l.Split(',')[3]) |> Array.truncate 8) [| "1"; "0"; "0"; "0"; "1"; "0"; "0"; "0" |] "period 4 under a constant input of 2"
        }
    ]
