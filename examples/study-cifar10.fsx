// Study: CIFAR-10 (../shared/data/cifar10; its test batch is grouped by class, so the evenly spaced test subset
// keeps every class) with LIF, DA-LIF (learned decays, and fixed at their initial value) and AR-LIF (TET for
// AR-LIF, as its authors train it; CE for the others), T = 4, 3 seeds each.
//   dotnet fsi examples/study-cifar10.fsx
// Budget (measured in docs/results.md; under an hour on 2 cores): ResNet-20 (the CIFAR ResNet of DA-LIF's
// ablation; about 45 samples/s at T = 4 here), 2 epochs of 5,000 training samples, 1,000 test samples, with
// augmentation off. Running it again skips the finished runs and resumes a stopped one.
#load "studies/common.fsx"
open Common
open SnnDsl.Data
open SnnDsl.Nn
open SnnDsl.Training

let budget = { Model = ZooModel.ResNet20; Epochs = 2; TrainSamples = 5000; TestSamples = 1000 }
let cell = cell DatasetName.Cifar10 budget

let study =
    { Name = "cifar10"
      Root = studyRoot "cifar10"
      Cells =
        [ cell "lif, CE" "lif" Loss.ce
          // DA-LIF's decays fixed at their initial value: separates learning them from their initial gain
          // (tanh(1) = 0.76 on input and membrane, where LIF's tau = 2 gives 0.5 on both).
          cellOf DatasetName.Cifar10 budget "da-lif fixed, CE" (daLifVariant "da-lif-fixed" true true) Loss.ce
          cell "da-lif, CE" "da-lif" Loss.ce
          cell "ar-lif, TET" "ar-lif" Loss.tet ]
      Seeds = seeds }

let pairs =
    [ "lif, CE", "da-lif, CE"; "lif, CE", "da-lif fixed, CE"; "da-lif fixed, CE", "da-lif, CE"
      "lif, CE", "ar-lif, TET"; "da-lif, CE", "ar-lif, TET" ]
runStudy study pairs "dotnet fsi examples/study-cifar10.fsx" |> ignore
