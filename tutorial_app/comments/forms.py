from django import forms

from .models import Comment


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["author", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "cols": 50})}
