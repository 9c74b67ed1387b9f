#!/usr/bin/env python3
# How much the dist equivalence task (tests/dist/test_data_parallel.cpp) amplifies rounding, measured
# with PyTorch: the same shape of task (ResNet-18 at width 0.125, 64x64 stripes under noise, 4
# classes, 20 SGD steps of 16, momentum 0.9, weight decay 1e-4 off BN) trained (a) again with the
# initial weights moved by 1e-7 relative and (b) with BN computed by the two-pass formula SyncBN
# uses instead of PyTorch's kernel; in float32 and float64. Prints the largest relative difference
# per tensor. Figures in docs/distributed.md ("Equivalence with one process").
# Usage: python3 scripts/dist_sensitivity.py   (Debian python3-torch; ~15 s)
import torch, torch.nn as nn, torch.nn.functional as F, sys
torch.set_num_threads(1)
class BN(nn.BatchNorm2d):
    composite=False
    def forward(self,x):
        if not (BN.composite and self.training): return super().forward(x)
        C=x.shape[1]; n=x.numel()//C
        mean=x.sum((0,2,3))/n; xc=x-mean.view(1,C,1,1); var=xc.square().sum((0,2,3))/n
        y=xc*torch.rsqrt(var+self.eps).view(1,C,1,1)*self.weight.view(1,C,1,1)+self.bias.view(1,C,1,1)
        with torch.no_grad():
            self.num_batches_tracked+=1
            self.running_mean.mul_(0.9).add_(0.1*mean); self.running_var.mul_(0.9).add_(0.1*var*n/(n-1))
        return y
class Block(nn.Module):
    def __init__(s,i,o,st):
        super().__init__(); s.c1=nn.Conv2d(i,o,3,st,1,bias=False); s.b1=BN(o); s.c2=nn.Conv2d(o,o,3,1,1,bias=False); s.b2=BN(o)
        s.ds=nn.Sequential(nn.Conv2d(i,o,1,st,bias=False),BN(o)) if st!=1 or i!=o else None
    def forward(s,x):
        out=F.relu(s.b1(s.c1(x))); out=s.b2(s.c2(out)); idn=s.ds(x) if s.ds is not None else x
        return F.relu(out+idn)
class Net(nn.Module):
    def __init__(s):
        super().__init__(); w=[8,16,32,64]
        s.c1=nn.Conv2d(1,8,7,2,3,bias=False); s.b1=BN(8); s.mp=nn.MaxPool2d(3,2,1)
        L=[]; i=8
        for k,o in enumerate(w):
            for b in range(2): L.append(Block(i,o,2 if (b==0 and k>0) else 1)); i=o
        s.L=nn.Sequential(*L); s.fc=nn.Linear(64,4)
        for m in s.modules():
            if isinstance(m,nn.Conv2d): nn.init.kaiming_normal_(m.weight,mode='fan_out',nonlinearity='relu')
    def forward(s,x): return s.fc(s.L(s.mp(F.relu(s.b1(s.c1(x))))).mean((2,3)))
def data(n,gen):
    X=[];Y=[]
    st=(torch.arange(64)%2).float()*2-1
    for i in range(n):
        c=(i*7)%4; p=st.view(64,1).expand(64,64) if c&2 else st.view(1,64).expand(64,64)
        X.append((torch.randn(64,64,generator=gen)*0.8+(0.5 if c&1 else -0.5)+0.5*p).unsqueeze(0)); Y.append(c)
    return torch.stack(X),torch.tensor(Y)
def run(composite,dtype,steps,perturb=0):
    torch.manual_seed(11); m=Net().to(dtype)
    if perturb:
        with torch.no_grad():
            for p in m.parameters(): p.mul_(1+perturb*torch.randn_like(p))
    BN.composite=composite
    g=torch.Generator().manual_seed(5); X,Y=data(160,g); X=X.to(dtype)
    dec=[p for n,p in m.named_parameters() if p.dim()>1]; nod=[p for n,p in m.named_parameters() if p.dim()<=1]
    opt=torch.optim.SGD([{'params':dec,'weight_decay':1e-4},{'params':nod,'weight_decay':0}],lr=0.01,momentum=0.9)
    for s in range(steps):
        k=s%10; x=X[16*k:16*k+16]; y=Y[16*k:16*k+16]
        opt.zero_grad(); F.cross_entropy(m(x),y).backward(); opt.step()
    return {k:v.detach().double().clone() for k,v in m.state_dict().items() if v.is_floating_point()}
def rel(a,b):
    w=max(((a[k]-b[k]).norm()/max(b[k].norm(),1e-12)).item() for k in b); kk=max(b,key=lambda k:((a[k]-b[k]).norm()/max(b[k].norm(),1e-12)).item()); return w,kk
for steps in (10,20):
    for dt in (torch.float32,torch.float64):
        ref=run(False,dt,steps)
        print(steps,dt,'perturb1e-7',rel(run(False,dt,steps,1e-7),ref),'composite',rel(run(True,dt,steps),ref))
