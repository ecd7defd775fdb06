namespace MnistTools;

/// <summary>The downloadable data sets known to Save-MnistSet (and recognised by Import-MnistSet).</summary>
public enum MnistSetName
{
    /// <summary>Handwritten digits (LeCun, Cortes, Burges).</summary>
    Mnist,
    /// <summary>Zalando article images, same format and sizes.</summary>
    FashionMnist,
    /// <summary>Kuzushiji-MNIST: ten cursive Japanese hiragana (Clanuwat et al.), same format and sizes.</summary>
    KMnist,
    /// <summary>QMNIST: MNIST reconstructed from NIST (Yadav and Bottou); 60,000 training and 60,000 test images, idx2-int labels.</summary>
    QMnist,
    /// <summary>EMNIST ByClass: 62 classes (digits, upper- and lower-case letters), 814,255 images.</summary>
    EMnistByClass,
    /// <summary>EMNIST ByMerge: 47 classes (similar upper/lower-case letters merged).</summary>
    EMnistByMerge,
    /// <summary>EMNIST Balanced: 47 classes, the same number of images per class.</summary>
    EMnistBalanced,
    /// <summary>EMNIST Letters: 26 classes (upper and lower case merged).</summary>
    EMnistLetters,
    /// <summary>EMNIST Digits: 10 classes, 280,000 images.</summary>
    EMnistDigits,
    /// <summary>EMNIST MNIST: 10 classes, MNIST's sizes (70,000 images).</summary>
    EMnistMnist,
}
