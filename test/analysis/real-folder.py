# Reference figures for test/analysis/real-folder.test.ts: mirrors the folder that
# test/analysis/real-folder.ts writes and prints numpy / scipy values (python3 real-folder.py).
import numpy as np, math
from scipy.stats import beta, binomtest
M=0xffffffff
def imul(a,b): return (a*b)&M
def h32(x):
    x=imul(x^(x>>16),0x45d9f3b); x=imul(x^(x>>16),0x45d9f3b); return (x^(x>>16))&M
def u(server,seed,n,comp): return h32(((server*4+seed)*65536+n*2+comp)&M)/4294967296
def noise(server,seed,n,comp): return u(server,seed,n,comp)-0.5
N=300
def vec(name,seed,n):
    if name in ("H200_FP8","H100_FP8"): return [0.1*noise(1,seed,n,0),0.1*noise(1,seed,n,1)]
    if name=="B200_FP8": return [0.13*noise(2,seed,n,0),0.13*noise(2,seed,n,1)]
    if name=="H200_FP8_FLASHINFER": return [0.1*noise(3,seed,n,0),0.1*noise(3,seed,n,1)]
    if name=="H200_GPTQ-INT4": return [0.5+0.1*noise(4,seed,n,0),0.1*noise(4,seed,n,1)]
def has(name,seed,n): return not (name=="B200_FP8" and seed==1 and n==5)
def dist(a,b):
    s=0.0
    for i in range(2):
        d=a[i]-b[i]; s+=d*d
    return math.sqrt(s)
names=["B200_FP8","H100_FP8","H200_FP8","H200_FP8_FLASHINFER","H200_GPTQ-INT4"]
pairs={}
for i in range(len(names)):
    for j in range(i+1,len(names)):
        a,b=names[i],names[j]
        d=[dist(vec(a,s,n),vec(b,s,n)) for s in (0,1) for n in range(N) if has(a,s,n) and has(b,s,n)]
        pairs[(a,b)]=np.array(d)
for k,v in pairs.items(): print(k, len(v), v.mean(), v.std(), v.max())
honest={k:v for k,v in pairs.items() if "INT4" not in k[0]+k[1]}
pooled=np.concatenate(list(honest.values()))
for policy in ("pooled","worst-pair"):
    if policy=="pooled": thr=np.percentile(pooled,98)
    else: thr=max(np.percentile(v,98) for k,v in honest.items() if not np.all(v==0))
    fp=int((pooled>thr).sum()); fpr=fp/len(pooled)
    ref = fpr if policy=="pooled" else 1-98/100
    print(policy, repr(thr), fp, len(pooled), repr(fpr))
    ups=[]
    for k,v in pairs.items():
        m=int((v>thr).sum()); n=len(v)
        up=1.0 if m==n else beta.ppf(0.95,m+1,n-m)
        p=binomtest(m,n,ref,alternative="greater").pvalue
        if k in honest and not np.all(v==0): ups.append(up)
        print("  ",k,n,m,repr(m/n),repr(up),repr(p))
    print("  fp_rate_upper",repr(max(ups)))
