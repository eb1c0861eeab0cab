"""The networks of the course, built from ``torch.nn`` layers in the style of ``torchvision.models``.

- ``simple``: :class:`SimpleCNN` (chapter 5), :class:`MNIST1DConvNet` and :class:`MLP` (chapter 3)
- ``classic``: :class:`LeNet5`, :class:`AlexNet`, :func:`vgg`, :class:`InceptionModule`,
  :class:`GoogLeNet` (chapter 7)
- ``resnet``: residual blocks, :class:`ResNet`, ``resnet18`` ... ``resnet200`` and
  :func:`cifar_resnet` with its plain twin (chapter 8)
- ``highway``: :class:`HighwayLayer`, :class:`HighwayNet` (chapter 8)

Parameter counts equal torchvision's where torchvision has the model.
"""

from course_lib.models.classic import (
    VGG,
    VGG_CONFIGS,
    AlexNet,
    ConvBNReLU,
    GoogLeNet,
    InceptionAux,
    InceptionModule,
    LeNet5,
    vgg,
)
from course_lib.models.highway import HighwayLayer, HighwayNet
from course_lib.models.resnet import (
    BasicBlock,
    Bottleneck,
    PaddingShortcut,
    PreActBasicBlock,
    PreActBottleneck,
    ResNet,
    cifar_resnet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnet200,
)
from course_lib.models.simple import MLP, MNIST1DConvNet, SimpleCNN

# DenseNet (chapter 9: DenseLayer, DenseBlock, Transition, DenseNet, densenet121, densenet_bc)
# and UNet (chapter 10) will be imported here from their own modules, densenet.py and unet.py,
# and added to __all__.

__all__ = [
    # simple
    "SimpleCNN",
    "MNIST1DConvNet",
    "MLP",
    # classic
    "LeNet5",
    "AlexNet",
    "VGG",
    "VGG_CONFIGS",
    "vgg",
    "ConvBNReLU",
    "InceptionModule",
    "InceptionAux",
    "GoogLeNet",
    # resnet
    "BasicBlock",
    "Bottleneck",
    "PreActBasicBlock",
    "PreActBottleneck",
    "PaddingShortcut",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnet200",
    "cifar_resnet",
    # highway
    "HighwayLayer",
    "HighwayNet",
]
