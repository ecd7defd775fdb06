namespace MnistTools;

/// <summary>The downloadable data sets known to Save-MnistSet.</summary>
public enum MnistSetName
{
    /// <summary>Handwritten digits (LeCun, Cortes, Burges).</summary>
    Mnist,
    /// <summary>Zalando article images, same format and sizes.</summary>
    FashionMnist,
}
