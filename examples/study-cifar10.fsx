// Study: CIFAR-10 (../shared/data/cifar10; its test batch is grouped by class, so the evenly spaced test subset
// keeps every class) with LIF, DA-LIF and AR-LIF (TET for AR-LIF, as its authors train it; CE for the others),
// T = 4, 3 seeds each.
//   dotnet fsi examples/study-cifar10.fsx
// Budget (about 6 minutes on 2 cores): the small conv net (two conv layers; not a VGG or ResNet, which do not
// fit this budget), 1 epoch on 10,000 training samples, 2,000 test samples, with augmentation off. Running it
// again skips the finished runs. See docs/results.md.
#load "studies/common.fsx"
open Common
open SnnDsl.Data
open SnnDsl.Nn
open SnnDsl.Training

let cell = cell DatasetName.Cifar10 10000 2000

let study =
    { Name = "cifar10"
      Root = studyRoot "cifar10"
      Cells = [ cell "lif, CE" "lif" Loss.ce; cell "da-lif, CE" "da-lif" Loss.ce; cell "ar-lif, TET" "ar-lif" Loss.tet ]
      Seeds = seeds }

runStudy study [ "lif, CE", "da-lif, CE"; "lif, CE", "ar-lif, TET"; "da-lif, CE", "ar-lif, TET" ] "dotnet fsi examples/study-cifar10.fsx" |> ignore
