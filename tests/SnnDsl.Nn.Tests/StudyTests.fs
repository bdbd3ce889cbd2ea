/// Studies: a grid of ordinary runs that a second sitting skips or resumes, and the statistics of their tables.
module SnnDsl.Nn.Tests.StudyTests

open System.IO
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Training
open SnnDsl.Report
open SnnDsl.Nn.Tests.Helpers
open SnnDsl.Nn.Tests.TrainingRuns

let private result (cell: string) (accuracies: float list) =
    { Cell = cell
      Accuracies = accuracies
      Accuracy = Summary.Of accuracies
      AccuracyByEpoch = []
      FiringRates = []
      MilliJoules = Summary.Of []
      ParameterTracks = [] }

[<Tests>]
let tests =
    testSequenced <| testList "Study" [
        testCase "Summary.Of gives the mean and the sample standard deviation" <| fun () ->
            let s = Summary.Of [ 1.0; 2.0; 3.0 ]
            Expect.equal (s.Mean, s.Std, s.Count) (2.0, 1.0, 3) "mean, std, count"
            Expect.isTrue (System.Double.IsNaN (Summary.Of [ 5.0 ]).Std) "one value has no sample std"

        testCase "the paired comparison's interval is mean difference ± t(0.975, n-1) x std / sqrt n over the seeds both finished" <| fun () ->
            let rs = [ result "a" [ 0.5; 0.6; 0.7; nan ]; result "b" [ 0.6; 0.8; 0.7; 0.9 ] ]
            let p = Study.paired rs "a" "b"
            Expect.equal p.Pairs 3 "the unfinished seed is left out"
            Expect.floatClose Accuracy.high p.MeanDifference 0.1 "mean of 0.1, 0.2, 0.0"
            let half = 4.303 * 0.1 / sqrt 3.0
            Expect.floatClose Accuracy.high p.Low (0.1 - half) "low"
            Expect.floatClose Accuracy.high p.High (0.1 + half) "high"

        testCase "the Markdown puts more than four layers' firing rates in a table of their own and each parameter's track in a row per layer" <| fun () ->
            let layers = [ for i in 1..5 -> $"spike{i}", Summary.Of [ 0.1 * float i ] ]
            let r =
                { result "da" [ 0.5; 0.7 ] with
                    AccuracyByEpoch = [ 0.4; 0.6 ]
                    FiringRates = layers
                    ParameterTracks =
                        [ { Parameter = "alpha"; Layer = "spike1"; Values = [ 0.8; 0.9 ] }
                          { Parameter = "beta"; Layer = "spike1"; Values = [ 0.7; 0.6 ] }
                          { Parameter = "alpha"; Layer = "spike2"; Values = [ 0.75; 0.85 ] } ] }
            let study = { Name = "md"; Root = "unused"; Cells = []; Seeds = [ 1L; 2L ] }
            let md = Study.markdown study [ r ] [] "cmd"
            let lines = md.Split('\n') |> Array.map _.TrimEnd()
            Expect.contains lines "| da | 60.00 ± 14.14 | 50.00, 70.00 | 40.00, 60.00 | 0.3000 | NaN |" "the main row: mean over the five layers (0.3), no energy"
            Expect.contains lines "| spike5 | 0.5000 |" "a row per layer"
            Expect.contains lines "| spike1 | 0.8000 → 0.9000 | 0.7000 → 0.6000 |" "alpha and beta of spike1 by epoch"
            Expect.contains lines "| spike2 | 0.7500 → 0.8500 | - |" "spike2 has no beta"

        testCase "a study runs every cell and seed once: a second sitting skips the finished runs and resumes a stopped one" <| fun () ->
            use tmp = new TempDir()
            let root = tmp.File "study"
            let cell = { Name = "tiny"; Config = { config "unused" with Epochs = 1; CheckpointEvery = 1 } }
            let study = { Name = "tiny"; Root = root; Cells = [ cell ]; Seeds = [ 1L; 2L ] }
            // Seed 2 is stopped after its second batch, as a sitting interrupted by Ctrl+C would be.
            use cts = new CancellationTokenSource()
            let observe = function
                | BatchDone(1, 2, _, _, _, _) -> cts.Cancel()
                | _ -> ()
            Expect.raisesAny<System.OperationCanceledException> (fun () -> Trainer.run (Study.config study cell 2L) false observe cts.Token |> ignore) |> ignore
            Expect.equal (Study.state study cell 2L) RunState.Stopped "seed 2 stopped with a checkpoint"
            Expect.equal (Study.state study cell 1L) RunState.NotStarted "seed 1 not started"
            let lines = ResizeArray<string>()
            Study.run study lines.Add CancellationToken.None
            Expect.equal (Study.state study cell 2L) RunState.Finished "seed 2 resumed to the end"
            Expect.equal (Metrics.read (Study.runDir study cell 2L)).Length 1 "one epoch, not two"
            lines.Clear()
            Study.run study lines.Add CancellationToken.None
            Expect.equal (lines |> Seq.filter (fun l -> l.EndsWith "finished earlier") |> Seq.length) 2 "both skipped"
            let results = Study.aggregate study
            Expect.equal (results |> List.exactlyOne).Accuracy.Count 2 "two seeds"
            let _, md = StudyReport.write study results [] "test"
            Expect.stringContains (File.ReadAllText md) "| tiny |" "the table has the cell"
            // The script's budget changed: the finished runs no longer fit the cell, and the study says so.
            let changed = { study with Cells = [ { cell with Config = { cell.Config with Epochs = 2; LearningRate = 0.05 } } ] }
            Expect.equal (Study.mismatches changed changed.Cells.Head 1L) [ "Epochs: 1 in the run, 2 in the study"; "LearningRate: 0.1 in the run, 0.05 in the study" ] "the differing settings"
            let e = Expect.raisesAny<SnnDsl.Core.SnnException> (fun () -> Study.run changed ignore CancellationToken.None)
            Expect.equal e.Kind SnnDsl.Core.ErrorKind.Usage "a usage error"
            Expect.stringContains e.Message "2 run(s)" "names how many runs"
            Expect.stringContains e.Message "Epochs: 1 in the run, 2 in the study" "names the setting"
            Expect.equal (Metrics.read (Study.runDir study cell 1L)).Length 1 "nothing was trained"
            let figure = System.Xml.Linq.XDocument.Load(Path.Combine(root, "accuracy.svg"))
            Expect.equal figure.Root.Name.LocalName "svg" "the accuracy figure is an SVG"
            Expect.equal (figure.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "circle") |> Seq.length) 2 "a dot per seed"
    ]
