// Study: DA-LIF's ablation on Fashion-MNIST. DA-LIF charges H = beta * V + alpha * X with alpha (spatial) and
// beta (temporal) learnable per layer; the ablation fixes one, the other or both at their initial value
// tanh(1) (both fixed: a LIF with those decays), at T = 1, 2 and 4, 3 seeds each.
//   dotnet fsi examples/study-da-lif-ablation.fsx
// Budget (measured in docs/results.md; under an hour on 2 cores): the small conv net, 3 epochs of 15,000
// training samples, 2,000 test samples. Running it again skips the finished runs and resumes a stopped one.
#load "studies/common.fsx"
open Common
open SnnDsl.Core
open SnnDsl.Data
open SnnDsl.Nn
open SnnDsl.Training

let neurons =
    [ "lif (alpha, beta fixed)", daLifVariant "da-lif-fixed" true true
      "alpha only", daLifVariant "da-lif-alpha" false true
      "beta only", daLifVariant "da-lif-beta" true false
      "da-lif (both)", Builtins.daLif ]

let budget = { Model = ZooModel.SmallConv; Epochs = 3; TrainSamples = 15000; TestSamples = 2000 }

let study =
    { Name = "da-lif-ablation"
      Root = studyRoot "da-lif-ablation"
      Cells =
        [ for t in [ 1; 2; 4 ] do
              for label, neuron in neurons ->
                  { Name = $"{label}, T={t}"
                    Config = budgeted DatasetName.FashionMnist budget { TrainConfig.defaults with Neuron = neuron; Timesteps = t } } ]
      Seeds = seeds }

// Each variant against the fixed-decay LIF at the same T.
let pairs =
    [ for t in [ 1; 2; 4 ] do
          for label, _ in List.tail neurons -> $"lif (alpha, beta fixed), T={t}", $"{label}, T={t}" ]
runStudy study pairs "dotnet fsi examples/study-da-lif-ablation.fsx" |> ignore
